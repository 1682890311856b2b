// Which directory entries are manifest files (and which are editor or tool litter beside them).

/** Names editors, tools and Kubernetes leave next to real files. */
const LITTER = [
  /^[.#]/,
  /~$/,
  /^4913$/,
  /#$/,
  /\.(?:swp|swx|swo|tmp|temp|bak|orig|rej|kate-swp)$/i,
  /___jb_(?:tmp|old)___$/,
];

/**
 * Whether a directory entry is a manifest: `*.yaml` or `*.yml`, not a dotfile (which covers
 * vim's `.x.swp`, emacs' `.#x` and Kubernetes' `..data`) and not editor litter (`x~`, `4913`,
 * `#x#`, `x.swp`, `x.tmp`, `x.bak`).
 */
export function isManifestFileName(name: string): boolean {
  if (!/\.ya?ml$/i.test(name)) return false;
  if (name.includes('/') || name.includes('\\')) return false;
  return !LITTER.some((pattern) => pattern.test(name));
}
