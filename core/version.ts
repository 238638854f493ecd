import pkg from "../package.json" with { type: "json" };

// Filled in by `bun build --define` (see the Makefile); a source run says "dev".
declare const HALTON_BUILD_COMMIT: string | undefined;
declare const HALTON_BUILD_DATE: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof HALTON_BUILD_COMMIT === "string" ? HALTON_BUILD_COMMIT : "dev";
export const BUILD_DATE: string = typeof HALTON_BUILD_DATE === "string" ? HALTON_BUILD_DATE : "unreleased";

export function versionLine(program: string): string {
  return `${program} ${VERSION} (commit ${COMMIT}, built ${BUILD_DATE})`;
}
