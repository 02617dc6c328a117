/**
 * Steps: recursion over the program (a call chain, a recursion cycle) run on an explicit stack. A
 * computation written as a generator yields the sub-computation it needs and is resumed with its
 * result, so a chain of thousands of calls costs heap, not JS stack frames, and the order of the work
 * (which memo is filled when, what a cycle's member sees of one still in progress) is the recursive one.
 */

/** A computation of a T that yields the sub-computations it needs (see run). */
export interface Steps<T> extends Generator<Steps<unknown>, T, unknown> {}

/** Runs a computation to its result, its sub-computations on a stack of suspended generators. */
export function run<T>(top: Steps<T>): T {
  const stack: Steps<unknown>[] = [top];
  let value: unknown;
  for (;;) {
    const step = stack[stack.length - 1]!.next(value);
    if (step.done) {
      stack.pop();
      if (stack.length === 0) return step.value as T;
      value = step.value;
    } else {
      stack.push(step.value);
      value = undefined;
    }
  }
}
