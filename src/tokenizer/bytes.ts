// Bytes of JS strings, losslessly: WTF-8.
//
// A JS string is a sequence of UTF-16 code units and may hold lone surrogates, which UTF-8 cannot
// express (TextEncoder silently turns them into U+FFFD, losing them). WTF-8 is UTF-8 extended so
// that a lone surrogate U+D800..U+DFFF gets the 3-byte form it would have as a code point
// (ED A0 80 .. ED BF BF); paired surrogates become the usual 4-byte form. For well-formed strings
// WTF-8 is exactly UTF-8. So `wtf8Decode(wtf8Encode(s)) === s` for every string s.

const utf8 = new TextEncoder();
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when the string has no lone surrogate (then UTF-8 and WTF-8 agree). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; }
    }
    return false;
  }
  return true;
}

/** The WTF-8 bytes of a string (its UTF-8 when it is well formed). */
export function wtf8Encode(s: string): Uint8Array {
  if (isWellFormed(s)) return utf8.encode(s);
  const out = new Uint8Array(s.length * 3);
  const n = wtf8EncodeInto(s, out, 0);
  return out.subarray(0, n);
}

/** Writes the WTF-8 of s at out[at..] (room for 3 bytes per code unit); returns the end offset. */
export function wtf8EncodeInto(s: string, out: Uint8Array, at: number): number {
  let j = at;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) { out[j++] = c; continue; }
    if (c < 0x800) { out[j++] = 0xc0 | (c >> 6); out[j++] = 0x80 | (c & 63); continue; }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[j++] = 0xf0 | (c >> 18); out[j++] = 0x80 | ((c >> 12) & 63);
        out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63);
        continue;
      }
    }
    // BMP code point, or a lone surrogate written as if it were one (the WTF-8 rule).
    out[j++] = 0xe0 | (c >> 12); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63);
  }
  return j;
}

/** Where a 3-byte encoded surrogate (ED A0..BF 80..BF) starts at or after `from`, else -1. */
function findSurrogate(b: Uint8Array, from: number): number {
  for (let i = b.indexOf(0xed, from); i >= 0 && i + 2 < b.length; i = b.indexOf(0xed, i + 1)) {
    if (b[i + 1] >= 0xa0 && b[i + 1] <= 0xbf && (b[i + 2] & 0xc0) === 0x80) return i;
  }
  return -1;
}

/**
 * Bytes to a string. Well-formed UTF-8 decodes as usual; an encoded surrogate (WTF-8) becomes
 * that lone surrogate, so wtf8Decode inverts wtf8Encode. Any other ill-formed byte sequence
 * becomes U+FFFD by the WHATWG rule (one per maximal ill-formed subpart), which loses bytes:
 * use the byte-returning decoders when bytes must survive.
 */
export function wtf8Decode(b: Uint8Array): string {
  let s = findSurrogate(b, 0);
  if (s < 0) return lenient.decode(b);
  let out = '';
  let from = 0;
  while (s >= 0) {
    out += lenient.decode(b.subarray(from, s));
    out += String.fromCharCode(((b[s] & 15) << 12) | ((b[s + 1] & 63) << 6) | (b[s + 2] & 63));
    from = s + 3;
    s = findSurrogate(b, from);
  }
  return out + lenient.decode(b.subarray(from));
}

/**
 * Splits bytes into code points for pre-tokenization. Returns the text and, when the bytes are
 * not exactly wtf8Encode(text), `offsets`: offsets[k] is the byte offset of UTF-16 unit k (one
 * extra entry at the end). Ill-formed bytes stand in the text as U+FFFD, one per byte, so the
 * pre-tokenizer treats them as symbols; the offsets map each piece back to its original bytes.
 */
export function decodeForSplit(b: Uint8Array): { text: string; offsets: Int32Array | null } {
  // Fast path: well-formed UTF-8 (no encoded surrogates either) is exactly wtf8Encode(text).
  try { return { text: strict.decode(b), offsets: null }; } catch { /* ill-formed: walk it */ }
  const units: number[] = [];
  const offs: number[] = [];
  let clean = true;
  let lastWasHigh = false; // a low surrogate right after a high one would re-encode as a pair
  let i = 0;
  const bad = () => { units.push(0xfffd); offs.push(i); i++; clean = false; lastWasHigh = false; };
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) { units.push(c); offs.push(i); i++; lastWasHigh = false; continue; }
    let need: number, cp: number, min: number;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 31; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 15; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 7; min = 0x10000; }
    else { bad(); continue; }
    if (i + need >= b.length) { bad(); continue; } // truncated at the end
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if ((d & 0xc0) !== 0x80) { ok = false; break; }
      cp = (cp << 6) | (d & 63);
    }
    if (!ok || cp < min || cp > 0x10ffff) { bad(); continue; }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      if (cp >= 0xdc00 && lastWasHigh) { bad(); continue; }
      units.push(cp); offs.push(i); i += 3; lastWasHigh = cp < 0xdc00; continue;
    }
    lastWasHigh = false;
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      units.push(0xd800 + (v >> 10), 0xdc00 + (v & 1023));
      offs.push(i, i); // the low half never starts a piece on its own in u-mode regexes
    } else {
      units.push(cp); offs.push(i);
    }
    i += need + 1;
  }
  offs.push(b.length);
  let text = '';
  for (let k = 0; k < units.length; k += 8192) text += String.fromCharCode(...units.slice(k, k + 8192));
  return { text, offsets: clean ? null : Int32Array.from(offs) };
}

/**
 * GPT-2's byte-level alphabet: each byte as a printable character, so byte strings can be JSON
 * keys in tokenizer.json. Printable Latin-1 bytes map to themselves; the other 68 map to U+0100...
 */
export const BYTE_TO_CHAR: string[] = (() => {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(keep(b) ? b : 256 + n++);
  return out;
})();

export const CHAR_TO_BYTE: Map<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** Bytes in the byte-level alphabet ("Ġthe" for " the"). */
export function bytesToLevel(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += BYTE_TO_CHAR[b[i]];
  return s;
}

/** The inverse of bytesToLevel; null when a character is outside the alphabet. */
export function levelToBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_TO_BYTE.get(s[i]);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}

/** Bytes as a string of char codes 0..255: a cheap exact Map key for a byte sequence. */
export function bytesToLatin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}
