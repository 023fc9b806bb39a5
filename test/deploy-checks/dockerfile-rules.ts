/**
 * A small Dockerfile lint for the rules the collector image must keep (hadolint is not packaged
 * for Debian). Returns the broken rules as sentences; an empty list means the file passes.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export interface DockerfileRules {
  ports: number[];
  volume: string;
  healthUrl: string;
  entrypoint: string[];
  cmd: string[];
  /** The root package.json's workspaces: `npm ci` needs each one's manifest, or it refuses the lockfile. */
  workspaces: string[];
}

/** Instructions with continuation lines joined and comments dropped. */
export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const keyword = full.split(/\s+/, 1)[0]!;
    instructions.push({ keyword: keyword.toUpperCase(), args: full.slice(keyword.length).trim(), line: startLine });
  });
  return instructions;
}

/** Splits instructions into build stages, resolving `ARG` defaults given before the first FROM. */
export function parseStages(text: string): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = instruction.args.split('=', 2);
      args.set(name, value);
    } else if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = (words[0] ?? '').replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? '');
      const name = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      stages.push({ image, name, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The JSON array of an exec-form instruction, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  const json = args.replace(/^(--\S+\s+)*(CMD\s+)?/, '');
  if (!json.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A tag that names one release (`22.20.0-bookworm-slim`, `v3.2.1`) or a digest, never `latest`. */
export function isPinnedImage(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const tag = image.split('/').pop()!.split(':')[1];
  return tag !== undefined && /^v?\d+\.\d+\.\d+/.test(tag);
}

export function checkDockerfile(text: string, rules: DockerfileRules): string[] {
  const problems: string[] = [];
  const stages = parseStages(text);
  const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));
  if (stages.length < 2) problems.push('not multi-stage: expected a build stage and a runtime stage');
  for (const stage of stages) {
    if (!stageNames.has(stage.image) && !isPinnedImage(stage.image)) {
      problems.push(`base image "${stage.image}" is not pinned to a full version`);
    }
  }
  const all = stages.flatMap((s) => s.instructions);
  if (!all.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))) problems.push('no `npm ci` in the build');
  problems.push(...uncopiedManifests(stages, rules.workspaces));
  for (const instruction of all) {
    if (/\bcurl\b/.test(instruction.args) && instruction.keyword !== 'LABEL') {
      problems.push(`line ${instruction.line}: uses curl (not in slim images)`);
    }
    if (instruction.keyword === 'ADD' && /\bhttps?:\/\//.test(instruction.args)) {
      problems.push(`line ${instruction.line}: ADD of a URL (unverified download)`);
    }
  }

  const runtime = stages[stages.length - 1];
  if (!runtime) return problems;
  const find = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword);
  const last = (keyword: string) => find(keyword).pop();

  const user = last('USER');
  if (!user) problems.push('the runtime stage has no USER (it would run as root)');
  else if (/^(root|0)(:|$)/.test(user.args)) problems.push(`USER ${user.args} is root`);

  const health = last('HEALTHCHECK');
  const healthCmd = health ? execForm(health.args) : undefined;
  if (!healthCmd) problems.push('no exec-form HEALTHCHECK in the runtime stage');
  else if (healthCmd[0] !== 'node' || !healthCmd.some((arg) => arg.includes(rules.healthUrl))) {
    problems.push(`HEALTHCHECK must run \`node\` against ${rules.healthUrl}`);
  } else if (healthCmd.some((arg) => /\s/.test(arg))) {
    // podman's Docker-compatible API splits arguments at spaces: `node -e "<script>"` always fails there.
    problems.push('HEALTHCHECK has an argument with a space (podman would split it)');
  }

  for (const [keyword, expected] of [
    ['ENTRYPOINT', rules.entrypoint],
    ['CMD', rules.cmd],
  ] as const) {
    const instruction = last(keyword);
    const value = instruction ? execForm(instruction.args) : undefined;
    if (!value) problems.push(`${keyword} is missing or not in exec form (a shell would swallow SIGTERM)`);
    else if (JSON.stringify(value) !== JSON.stringify(expected)) {
      problems.push(`${keyword} is ${JSON.stringify(value)}, expected ${JSON.stringify(expected)}`);
    }
  }
  const entry = last('ENTRYPOINT');
  if (user && entry && user.line > entry.line) problems.push('USER comes after ENTRYPOINT');

  const exposed = new Set(
    find('EXPOSE')
      .flatMap((i) => i.args.split(/\s+/))
      .map((p) => Number(p.split('/')[0])),
  );
  for (const port of rules.ports) if (!exposed.has(port)) problems.push(`port ${port} is not EXPOSEd`);

  const volumes = find('VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
  if (!volumes.includes(rules.volume)) problems.push(`${rules.volume} is not a VOLUME`);

  if (last('STOPSIGNAL')?.args !== 'SIGTERM') problems.push('STOPSIGNAL is not SIGTERM');
  return problems;
}

/** Workspaces whose package.json no COPY of the build context puts in place before the stage's `npm ci`. */
function uncopiedManifests(stages: Stage[], workspaces: string[]): string[] {
  const problems: string[] = [];
  for (const stage of stages) {
    const ci = stage.instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    if (ci < 0) continue;
    const copies = stage.instructions
      .slice(0, ci)
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .map((i) => {
        const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return { sources: words.slice(0, -1).map((w) => w.replace(/\/$/, '')), dest: words[words.length - 1]!.replace(/\/$/, '') };
      });
    for (const workspace of workspaces) {
      const manifest = `${workspace}/package.json`;
      const copied = copies.some(({ sources, dest }) =>
        sources.some(
          (source) =>
            (source === manifest && (dest === workspace || dest === manifest)) ||
            // A directory copied to the same place brings the manifest with it.
            (manifest.startsWith(`${source}/`) && dest === source),
        ),
      );
      if (!copied) problems.push(`${manifest} is not copied to ${workspace}/ before \`npm ci\` in stage ${stage.name ?? stage.image}`);
    }
  }
  return problems;
}
