// Exact rational numbers on BigInt: Countdown's ÷ and answer comparison ("1234.0" = "1234")
// must never round.

const abs = (a: bigint) => (a < 0n ? -a : a);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a); b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export class Rational {
  readonly num: bigint;
  readonly den: bigint; // always > 0, and gcd(num, den) = 1

  constructor(num: bigint, den: bigint = 1n) {
    if (den === 0n) throw new RangeError('Rational: zero denominator');
    if (den < 0n) { num = -num; den = -den; }
    const g = gcd(num, den);
    this.num = g > 1n ? num / g : num;
    this.den = g > 1n ? den / g : den;
  }

  static of(n: number | bigint): Rational { return new Rational(BigInt(n)); }

  add(o: Rational): Rational { return new Rational(this.num * o.den + o.num * this.den, this.den * o.den); }
  sub(o: Rational): Rational { return new Rational(this.num * o.den - o.num * this.den, this.den * o.den); }
  mul(o: Rational): Rational { return new Rational(this.num * o.num, this.den * o.den); }
  /** null on division by zero. */
  div(o: Rational): Rational | null { return o.num === 0n ? null : new Rational(this.num * o.den, this.den * o.num); }
  eq(o: Rational): boolean { return this.num === o.num && this.den === o.den; }
  isInteger(): boolean { return this.den === 1n; }
  toString(): string { return this.den === 1n ? `${this.num}` : `${this.num}/${this.den}`; }
}
