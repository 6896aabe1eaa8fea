// Detectors for personal data that keyword lists cannot express: numbers checked by their own
// arithmetic (a card number passes the Luhn check; a random 16-digit number passes 1 time in 10).

/** Luhn (mod 10) check over a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export interface Detection {
  /** The text that matched, as it appeared (after folding). */
  match: string;
}

// 13-19 digits, optionally grouped by single spaces or dashes, not inside a longer number.
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;

/**
 * Issuer prefixes and lengths of the card networks (Visa, Mastercard, American Express, Discover,
 * JCB, Diners, UnionPay, Maestro): a long number outside them is not a card, whatever its checksum.
 */
const NETWORKS: { prefix: RegExp; lengths: number[] }[] = [
  { prefix: /^4/, lengths: [13, 16, 19] },
  { prefix: /^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/, lengths: [16] },
  { prefix: /^3[47]/, lengths: [15] },
  { prefix: /^(6011|65|64[4-9])/, lengths: [16, 19] },
  { prefix: /^35(2[89]|[3-8])/, lengths: [16, 19] },
  { prefix: /^3(0[0-5]|[689])/, lengths: [14, 16] },
  { prefix: /^62/, lengths: [16, 17, 18, 19] },
  { prefix: /^(5018|5020|5038|6304|6759|676[1-3])/, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
];

/** A number inside arithmetic ("692743956*2=1385487912") is a quantity, not a card. */
const ARITHMETIC_BEFORE = /[*=+/<>^(]\s?$/;
const ARITHMETIC_AFTER = /^\s?[*=+/<>^)]/;

/**
 * Payment card numbers: 13-19 digits that pass Luhn, start and run as a card network's do, are
 * not all one digit, and do not stand in a sum or an equation.
 */
export function creditCards(text: string): Detection[] {
  const out: Detection[] = [];
  for (const m of text.matchAll(CARD)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (/^(\d)\1+$/.test(digits)) continue;
    if (!NETWORKS.some((n) => n.prefix.test(digits) && n.lengths.includes(digits.length))) continue;
    const at = m.index!;
    if (ARITHMETIC_BEFORE.test(text.slice(Math.max(0, at - 2), at)) || ARITHMETIC_AFTER.test(text.slice(at + m[0].length, at + m[0].length + 2))) continue;
    if (luhnValid(digits)) out.push({ match: m[0] });
  }
  return out;
}

// US social security numbers in the dashed form, excluding the ranges never issued.
const SSN = /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g;

export function ssns(text: string): Detection[] {
  return [...text.matchAll(SSN)].map((m) => ({ match: m[0] }));
}

export const DETECTORS: Record<string, (text: string) => Detection[]> = {
  credit_card: creditCards,
  us_ssn: ssns,
};
