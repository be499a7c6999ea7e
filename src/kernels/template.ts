// Fills {{NAME}} placeholders of a shader template from shaders/ and prepends the common uniform helpers.
import { shaders } from './shaders.gen.js';

export function wgsl(name: string, vars: Record<string, string | number> = {}): string {
  const template = shaders[name];
  if (template === undefined) throw new Error(`no shader template "${name}" in shaders/`);
  const body = template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in vars)) throw new Error(`shader ${name}: no value for {{${key}}}`);
    return String(vars[key]);
  });
  return `${shaders.common}\n${body}`;
}
