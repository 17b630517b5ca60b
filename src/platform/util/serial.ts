/** Runs asynchronous tasks one after another, in the order given; a failed task does not hold up the next. */
export class Serial {
  #tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once every task given so far has finished. */
  async drained(): Promise<void> {
    await this.#tail;
  }
}
