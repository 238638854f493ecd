// Where a Worker's module is: its source file next to the caller, or, in a binary made by
// `bun build --compile`, the embedded copy (the Makefile passes each worker as an entrypoint;
// embedded files are named from the repository root).

export function workerModule(fromRoot: string, callerUrl: string): string {
  return callerUrl.includes("$bunfs") ? `./${fromRoot}` : new URL(`./${fromRoot.split("/").at(-1)}`, callerUrl).href;
}
