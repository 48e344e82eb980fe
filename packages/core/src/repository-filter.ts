/** Which repositories are kept under scanning: matching `include` (when set) and not matching `exclude`. */
export function isRepositorySelected(name: string, filter: { include?: RegExp; exclude?: RegExp }): boolean {
  if (filter.include && !filter.include.test(name)) return false;
  if (filter.exclude?.test(name)) return false;
  return true;
}
