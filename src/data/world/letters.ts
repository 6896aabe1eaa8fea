// English-like invented words from a character trigram model over everyday English words.
// Why: the syllable words of invented.ts never contain letter patterns that the held-out words
// have ("qu", "ll", "rr", "tt", "ck", "gh", a capital Q or X), so the tokenizer's pieces for
// those patterns barely occur in training stories and the model cannot copy "quarry" or
// "cellar" (the last full run wrote "carru" and "cell"). Words drawn letter by letter from
// English spelling statistics cover every letter and the doubled consonants while still being
// fresh words, so the answer must still be copied from the story.
// The source words below are ordinary English words; none is a held-out word (checked here and
// in test/data/world.test.ts), and a drawn word that happens to be one is rejected by the caller.
import type { Rng } from '../../tasks/rng.ts';
import { HELD_OUT } from './lexicon.ts';

/** Everyday English words (no held-out word), chosen to cover every letter and English letter pairs. */
export const ENGLISH_SOURCE: readonly string[] = (
  'apple arrow autumn answer anchor animal angle ankle apron arm army aunt axe baby bacon badge bag balloon banana band bank ' +
  'barrel bath battle bean bear beard bed bee beef beetle berry bicycle bird biscuit bottle bowl brick bridge broom brother bubble ' +
  'bucket buckle bull bunny butter button cabin cable cage camel camera canal cannon canoe canyon captain carrot castle cattle ' +
  'chain chair chalk cheese cherry chess chicken chimney chin circle city clock cloud clover coat coffee collar comb copper corner ' +
  'cotton cousin cow crab cradle crow crown cuckoo cupboard curtain cushion daddy daisy desk dinner dog dollar donkey door dragon ' +
  'dress duck dust eagle earth egg elbow engine engineer envelope evening eye fabric face fairy feather fellow fence ferry fiddle ' +
  'finger fish flag flower fog fox frame frog fruit funnel fur giant ginger glass glove goat goose gravel grass guitar gull ' +
  'hammer hand happy harvest hedge helmet hen honey hood hook horse hotel hunter hurry igloo island ivory jacket jelly jewel ' +
  'jigsaw juggler jungle kennel kitten kiwi knee knife knight knock lake lamb leaf lemon letter lettuce lily lion little lizard ' +
  'lobster locket lolly lorry luggage mallet mammal mango marble mellow mirror mitten monkey moss mother motor muffin mug ' +
  'muzzle napkin needle nephew nest nettle night noodle nugget nutmeg oak oasis ocean octopus office olive onion otter owl oyster ' +
  'paddle palace panther paper parrot pebble pencil penny pepper pickle pigeon pillow pocket pony poppy potato puddle puppy ' +
  'puzzle quail quest question queen quiet quick quilt quiver quiz quote rabbit raccoon radish rattle raven ribbon riddle robber ' +
  'robin rocket rubber saddle sailor salmon salt sandal saucer sausage scissors seal shadow shell shepherd shovel silk silver ' +
  'sister skull sky slipper smoke snail soccer socket spider spoon squirrel stable stick sugar summer supper swallow sweater ' +
  'table tailor teddy temple thimble thistle thunder ticket tiger toffee tomato tongue towel tower toy trolley turkey turtle ' +
  'twig umbrella uncle unicorn valley vase velvet vest village vulture wagon waffle wallet walnut walrus water weather whale ' +
  'wheat wheel whistle willow window wizard wolf yacht yak yard yarn yellow yogurt young yoyo zebra zero zigzag zipper zoo ' +
  'knuckle wreck weight height laughter daughter bright flight thought cough rough dough neighbour buckwheat jackal packet ' +
  'quokka sequin liquid squash squeak equal aqua toque unique xylophone xenon xray oxen waxwork boxer mixer taxi axle pixel ' +
  'hallway mellon millet gallop hollow follow pillar dollop gully ally allow alley cellophane hello jolly rally sally tally ' +
  'merry marry sorry worry hurry furry curry berry barrow burrow sparrow narrow borrow morrow ' +
  'attack bottom button cotton kitty mutton rotten sitting putty batter gutter litter mitten nutty potty pretty ' +
  'oddly udder rudder fodder bladder adder shudder muddy teddy giddy kiddo paddock haddock ' +
  // Long and compound words, and word starts the first letter model missed (a probe run copied
  // none of "orchard", "lighthouse", "greenhouse": their pieces " or", "ouse" were rare).
  'house mouse blouse grouse spouse warehouse farmhouse birdhouse treehouse outhouse doghouse playhouse ' +
  'orange orbit organ orca orchid order ornament oriole orphan ordinary orbital ' +
  'light lighter lightning sunlight moonlight daylight nightingale green greet greedy evergreen ' +
  'atlas atom attach attempt attend attitude piano picnic pilot pipe pizza pigeon pinecone ' +
  'bookshop blacksmith grandfather sandcastle snowflake rainbow sunflower fireplace ' +
  ''
).split(/\s+/).filter(Boolean);

const HELD = new Set([...HELD_OUT.names, ...HELD_OUT.places, ...HELD_OUT.objects].map((w) => w.toLowerCase()));
for (const w of ENGLISH_SOURCE) if (HELD.has(w)) throw new Error(`letters.ts: '${w}' is a held-out word and must not shape training words`);

const START = '^', END = '$';

/** Next-letter counts after each two-letter and one-letter context (the latter for variety). */
function table(words: readonly string[], order: number): Map<string, Map<string, number>> {
  const t = new Map<string, Map<string, number>>();
  for (const w of words) {
    const s = START.repeat(order) + w + END;
    for (let i = order; i < s.length; i++) {
      const ctx = s.slice(i - order, i), m = t.get(ctx) ?? new Map<string, number>();
      m.set(s[i]!, (m.get(s[i]!) ?? 0) + 1);
      t.set(ctx, m);
    }
  }
  return t;
}

const TRI = table(ENGLISH_SOURCE, 2), BI = table(ENGLISH_SOURCE, 1);

function draw(r: Rng, m: Map<string, number>): string {
  let total = 0;
  for (const c of m.values()) total += c;
  let x = r.float() * total;
  for (const [ch, c] of m) { if ((x -= c) < 0) return ch; }
  return END;
}

/**
 * A lowercase English-like word of 4 to 11 letters (held-out words run to 10): each letter drawn after the two before it,
 * sometimes after only one (backoff 0.15), which mixes the source words into new ones.
 */
export function englishLikeWord(r: Rng): string {
  for (;;) {
    let w = '';
    for (;;) {
      const ctx2 = (START + START + w).slice(-2), ctx1 = (START + w).slice(-1);
      const m = r.float() < 0.15 ? BI.get(ctx1)! : TRI.get(ctx2) ?? BI.get(ctx1)!;
      const ch = draw(r, m);
      if (ch === END || w.length > 11) break;
      w += ch;
    }
    if (w.length >= 4 && w.length <= 11) return w;
  }
}
