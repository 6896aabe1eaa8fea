import { PonderError } from '../errors.ts';

/** A shape mismatch or invalid argument to a tensor op: the message names the op and the shapes. */
export class ShapeError extends PonderError {}

/** A non-finite or out-of-range value where the op cannot take one. */
export class ValueError extends PonderError {}
