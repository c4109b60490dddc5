// Replaced at build time (sdk/build.ts) with the package version.
declare const __MYTHIC_VERSION__: string;

export const LIB_VERSION: string = __MYTHIC_VERSION__;
