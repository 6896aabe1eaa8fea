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

/** Payment card numbers: 13-19 digits that pass Luhn and start like a card (not all one digit). */
export function creditCards(text: string): Detection[] {
  const out: Detection[] = [];
  for (const m of text.matchAll(CARD)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (/^(\d)\1+$/.test(digits)) continue;
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
