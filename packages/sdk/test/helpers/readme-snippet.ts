import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * The fenced code block after `<!-- runs as written: NAME ... -->` in a markdown file, compiled
 * to CommonJS: what the test runs is what the README says, so editing one changes the other.
 */
export function readmeSnippet(markdownFile: string, name: string): string {
  const text = readFileSync(markdownFile, 'utf8');
  const match = new RegExp(`<!-- runs as written: ${name}\\b[^>]*-->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (!match) throw new Error(`${markdownFile}: no \`\`\`ts block after <!-- runs as written: ${name} -->`);
  return ts.transpileModule(match[1]!, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
}
