/**
 * group_by: the path of a resource's file is the configured path with its `*` replaced by the
 * value of a resource attribute. The value comes from senders, so it is cleaned first: it may
 * name subdirectories (`team/app`), but never climb out with `..`, start at the root, or carry
 * control characters.
 */
export function groupPath(template: string, value: string): string {
  const segments = value
    .split(/[/\\]+/)
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces
    .map((segment) => segment.replace(/[\u0000-\u001f\u007f]/g, '_'))
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..');
  return template.replace('*', segments.length > 0 ? segments.join('/') : '_');
}
