/**
 * Runs work one at a time per key: work for a key waits for the previous work of that key, whatever its outcome.
 * The reporter keys by image marker, so a second report of an image finds the issue the first one created.
 */
export function perKeyQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const chains = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = chains.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    chains.set(key, run);
    const forget = () => {
      if (chains.get(key) === run) chains.delete(key);
    };
    run.then(forget, forget);
    return run;
  };
}
