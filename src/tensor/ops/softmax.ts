// Softmax and log-softmax over the last axis.
import { backend } from '../../backend/index.ts';
import { Tensor, empty } from '../tensor.ts';
import { needsGrad, record, gradOf } from '../tape.ts';

export function softmax(x: Tensor): Tensor {
  const C = x.shape[x.rank - 1], rows = x.size / C;
  const out = empty(x.shape);
  backend().kernels.softmax(x.data, rows, C, out.data);
  if (!needsGrad(x)) return out;
  return record(out, () => backend().kernels.softmaxBackward(out.grad!.data, out.data, rows, C, gradOf(x).data));
}

export function logSoftmax(x: Tensor): Tensor {
  const C = x.shape[x.rank - 1], rows = x.size / C;
  const out = empty(x.shape);
  backend().kernels.logSoftmax(x.data, rows, C, out.data);
  if (!needsGrad(x)) return out;
  return record(out, () => backend().kernels.logSoftmaxBackward(out.grad!.data, out.data, rows, C, gradOf(x).data));
}
