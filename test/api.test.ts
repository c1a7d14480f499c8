import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

// The public API is a curated list: src/index.ts exports it, docs/API.md documents every name of it (what it is,
// since which version), and the built .d.ts files carry nothing marked @internal. Adding or removing an export
// without the page fails here; so does an internal that leaks into the typings.

const root = join(import.meta.dirname, '..');
const apiPage = readFileSync(join(root, 'docs/API.md'), 'utf8');

/** `| \`name\` | value or type | what it is | since |` rows of docs/API.md. */
const documented = new Map(
  [...apiPage.matchAll(/^\| `(\w+)` \| (value|type) \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => [
    m[1] as string,
    { kind: m[2] as string, what: (m[3] as string).trim(), since: (m[4] as string).trim() },
  ]),
);

const tsOptions = (): ts.CompilerOptions => {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('tsconfig.build.json: cannot read it');
  return { ...parsed.options, fileNames: undefined } as ts.CompilerOptions & { fileNames?: undefined };
};

/** Every name src/index.ts exports, values and types, with whether it is a type only. */
function publicExports(): Map<string, 'value' | 'type'> {
  const program = ts.createProgram([join(root, 'src/index.ts')], { ...tsOptions(), noEmit: true });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(join(root, 'src/index.ts'));
  const symbol = index && checker.getSymbolAtLocation(index);
  if (!symbol) throw new Error('src/index.ts: no module symbol');
  const names = new Map<string, 'value' | 'type'>();
  for (const s of checker.getExportsOfModule(symbol)) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    const spec = s.declarations?.[0];
    const typeOnly = spec !== undefined && ts.isExportSpecifier(spec) && (spec.isTypeOnly || spec.parent.parent.isTypeOnly);
    names.set(s.name, !typeOnly && target.flags & ts.SymbolFlags.Value ? 'value' : 'type');
  }
  return names;
}

describe('the public API (src/index.ts)', () => {
  const exported = publicExports();

  it('exports exactly the names docs/API.md documents, each with what it is and a version', () => {
    const undocumented = [...exported.keys()].filter((n) => !documented.has(n));
    const gone = [...documented.keys()].filter((n) => !exported.has(n));
    expect(undocumented, 'exported from src/index.ts but not in docs/API.md: document them or stop exporting them').toEqual([]);
    expect(gone, 'in docs/API.md but no longer exported: remove the rows or export them again').toEqual([]);
    for (const [name, doc] of documented) {
      expect(doc.kind, `${name}: docs/API.md says ${doc.kind}`).toBe(exported.get(name));
      expect(doc.what.length, `${name}: say what it is`).toBeGreaterThan(5);
      expect(doc.since, `${name}: since which version`).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('has no `export *`: every public name is chosen', () => {
    expect(readFileSync(join(root, 'src/index.ts'), 'utf8')).not.toMatch(/export \*/);
  });

  it('gives, at run time, exactly the documented values', () => {
    const values = [...documented].filter(([, d]) => d.kind === 'value').map(([n]) => n);
    expect(Object.keys(api).sort()).toEqual(values.sort());
  });

  it('is what the README points a library user to', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('docs/API.md');
  });
});

describe('the typings that ship (.d.ts, built with stripInternal)', () => {
  // Inside the project, so the typings resolve @grpc/grpc-js and the other packages from its node_modules.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const out = mkdtempSync(join(root, 'node_modules/.cache/racelab-dts-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('carry no declaration marked @internal, and still type-check as a user sees them', () => {
    const options = { ...tsOptions(), declaration: true, emitDeclarationOnly: true, declarationMap: false, sourceMap: false, outDir: join(out, 'dist') };
    expect(options.stripInternal, 'tsconfig.build.json must set stripInternal').toBe(true);
    const program = ts.createProgram([join(root, 'src/index.ts')], options);
    const emitted = new Map<string, string>();
    program.emit(undefined, (file, text) => {
      emitted.set(file, text);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    });
    expect(emitted.size).toBeGreaterThan(50);

    // Every declaration the source marks @internal, as file + `Container.name`; then every declaration the
    // typings hold, the same way: the two must not meet.
    const declared = (sf: ts.SourceFile, internalOnly: boolean): string[] => {
      const found: string[] = [];
      const visit = (node: ts.Node, container: string): void => {
        const name = (node as { name?: ts.Node }).name;
        const named = name !== undefined && ts.isIdentifier(name) ? name.text : undefined;
        if (named !== undefined && (ts.isClassElement(node) || ts.isTypeElement(node) || ts.isStatement(node) || ts.isEnumMember(node))) {
          if (!internalOnly || ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal')) found.push(`${container}${named}`);
        }
        const inner = named !== undefined && (ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isEnumDeclaration(node)) ? `${named}.` : container;
        ts.forEachChild(node, (child) => visit(child, inner));
      };
      visit(sf, '');
      return found;
    };
    let internalCount = 0;
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.startsWith(join(root, 'src'))) continue;
      const internal = declared(sf, true);
      internalCount += internal.length;
      const dtsFile = join(out, 'dist', relative(join(root, 'src'), sf.fileName).replace(/\.ts$/, '.d.ts'));
      const dts = emitted.get(dtsFile);
      if (dts === undefined || internal.length === 0) continue;
      const shipped = new Set(declared(ts.createSourceFile(dtsFile, dts, ts.ScriptTarget.Latest, true), false));
      for (const name of internal) expect(shipped.has(name), `${relative(root, sf.fileName)} ships @internal ${name}`).toBe(false);
    }
    expect(internalCount, 'the actor runtime marks its internals').toBeGreaterThan(20);
    for (const [file, text] of emitted) expect(text, file).not.toContain('@internal');

    // A user's project compiles against the stripped typings (nothing public refers to what was stripped).
    const consumer = join(out, 'consumer.ts');
    writeFileSync(consumer, "import * as racelab from './dist/index.js';\nexport type Api = typeof racelab;\n");
    const check = ts.createProgram([consumer], {
      strict: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
      noEmit: true,
      skipLibCheck: false,
    });
    const problems = ts
      .getPreEmitDiagnostics(check)
      .filter((d) => d.file?.fileName.startsWith(out))
      .map((d) => `${d.file ? relative(out, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    expect(problems).toEqual([]);
  }, 240_000);
});
