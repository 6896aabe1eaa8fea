// The tensor engine: tensors, autograd, and every op, in one import.
export * from './tensor.ts';
export { backward, noGrad, zeroGrad, clearTape, tapeLength, isGradEnabled } from './tape.ts';
export { withScope, beginScope, endScope, poolBytes, clearPool } from './memory.ts';
export { ShapeError, ValueError } from './errors.ts';
export { matmul, type MatmulOptions } from './ops/matmul.ts';
export { add, sub, mul, div, minimum, maximum, affine, scale, addScalar, neg, exp, log, silu, clamp, where } from './ops/elementwise.ts';
export { sum, mean } from './ops/reduce.ts';
export { reshape, transpose, slice, concat } from './ops/shape.ts';
export { embedding, rmsnorm, rope, ropeTable, swiglu, type RopeTable } from './ops/nn.ts';
export { softmax, logSoftmax } from './ops/softmax.ts';
export { tokenLogprobs, crossEntropy, type CrossEntropyOptions } from './ops/loss.ts';
export { attention, type AttentionOptions } from './ops/attention.ts';
