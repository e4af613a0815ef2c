/**
 * Reading a cloud assembly (manifest.json, nested stage assemblies, asset manifests) and keeping
 * every path it names inside the assembly: a shared cdk.out must not make the local cloud load
 * code from anywhere else (absolute paths, `..` escapes, symbolic links out, handler paths).
 */
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { selectStacks } from '../../packages/local-cloud/src/deploy/assembly-deployer.js';
import {
  CloudAssemblyError,
  readCloudAssembly,
} from '../../packages/local-cloud/src/deploy/cloud-assembly.js';
import { AssemblyPathError } from '../../packages/local-cloud/src/deploy/contained-path.js';
import {
  checkHandlerModule,
  resolveFunctionCode,
} from '../../packages/local-cloud/src/deploy/function-code.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/cloud-assembly', import.meta.url));
const CJS_HASH = '1'.repeat(64);
const ESM_HASH = '2'.repeat(64);

const scratch: string[] = [];
afterEach(() => {
  for (const directory of scratch.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A writable copy of the fixture assembly (plus a directory outside it), to break on purpose. */
function copyOfFixture(): { assembly: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), 'oncely-assembly-test-'));
  scratch.push(root);
  const assembly = join(root, 'cdk.out');
  cpSync(FIXTURE, assembly, { recursive: true });
  const outside = join(root, 'elsewhere');
  cpSync(join(FIXTURE, `asset.${CJS_HASH}`), outside, { recursive: true });
  return { assembly, outside };
}

interface Manifest {
  artifacts: Record<string, { properties: { templateFile?: string; directoryName?: string } }>;
}
interface AssetsManifest {
  files: Record<string, { source: { path: string } }>;
}

function editJson<T>(path: string, edit: (json: T) => void): void {
  const json = JSON.parse(readFileSync(path, 'utf8')) as T;
  edit(json);
  writeFileSync(path, JSON.stringify(json));
}

describe('readCloudAssembly', () => {
  it('lists every stack, nested stage assemblies included, dependencies first', () => {
    const assembly = readCloudAssembly(FIXTURE);
    expect(assembly.directory).toBe(realpathSync(FIXTURE));
    expect(assembly.stacks.map((stack) => stack.stackName)).toEqual([
      'FixtureShared',
      'FixtureApp',
      'Dev-Service',
    ]);
    const [shared, app, dev] = assembly.stacks;
    expect(shared).toMatchObject({
      artifactId: 'Shared',
      displayName: 'Shared',
      directory: assembly.directory,
    });
    expect(shared!.region).toBeUndefined();
    expect(app).toMatchObject({
      artifactId: 'App',
      templateFile: join(assembly.directory, 'App.template.json'),
      dependencies: ['App.assets', 'Shared'],
      region: 'us-east-1',
    });
    expect(dev).toMatchObject({
      displayName: 'Dev/Service',
      directory: join(assembly.directory, 'assembly-Dev'),
      templateFile: join(assembly.directory, 'assembly-Dev', 'DevService.template.json'),
    });
  });

  it('says so when the directory is no cloud assembly', () => {
    const empty = mkdtempSync(join(tmpdir(), 'oncely-empty-'));
    scratch.push(empty);
    expect(() => readCloudAssembly(empty)).toThrow(/no manifest\.json/);
    expect(() => readCloudAssembly(join(empty, 'missing'))).toThrow(/does not exist/);
  });

  it('refuses an absolute template path', () => {
    const { assembly } = copyOfFixture();
    editJson<Manifest>(join(assembly, 'manifest.json'), (manifest) => {
      manifest.artifacts.App!.properties.templateFile = '/etc/passwd';
    });
    expect(() => readCloudAssembly(assembly)).toThrow(CloudAssemblyError);
    expect(() => readCloudAssembly(assembly)).toThrow(
      /template of stack FixtureApp: '\/etc\/passwd' is an absolute path/,
    );
  });

  it('refuses a template path that climbs out with ..', () => {
    const { assembly } = copyOfFixture();
    editJson<Manifest>(join(assembly, 'manifest.json'), (manifest) => {
      manifest.artifacts.App!.properties.templateFile = '../elsewhere/index.js';
    });
    expect(() => readCloudAssembly(assembly)).toThrow(/leaves the cloud assembly directory/);
  });

  it('refuses a template that is a symbolic link out of the assembly', () => {
    const { assembly, outside } = copyOfFixture();
    rmSync(join(assembly, 'App.template.json'));
    symlinkSync(join(outside, 'index.js'), join(assembly, 'App.template.json'));
    expect(() => readCloudAssembly(assembly)).toThrow(/is a symbolic link to .*outside the cloud assembly/);
  });

  it('refuses a nested assembly directory outside the assembly', () => {
    const { assembly } = copyOfFixture();
    editJson<Manifest>(join(assembly, 'manifest.json'), (manifest) => {
      manifest.artifacts['assembly-Dev']!.properties.directoryName = '../elsewhere';
    });
    expect(() => readCloudAssembly(assembly)).toThrow(/nested assembly assembly-Dev: '..\/elsewhere' leaves/);
  });
});

describe('selectStacks', () => {
  const assembly = readCloudAssembly(FIXTURE);
  const names = (chosen: string[] | undefined) =>
    selectStacks(assembly, chosen).map((stack) => stack.stackName);

  it('chooses every stack by default, and a stack by name, artifact id or construct path', () => {
    expect(names(undefined)).toEqual(['FixtureShared', 'FixtureApp', 'Dev-Service']);
    expect(names(['Dev-Service'])).toEqual(['Dev-Service']);
    expect(names(['Dev/Service'])).toEqual(['Dev-Service']);
    expect(names(['Shared'])).toEqual(['FixtureShared']);
  });

  it('brings along the stacks a chosen stack depends on, first', () => {
    expect(names(['FixtureApp'])).toEqual(['FixtureShared', 'FixtureApp']);
  });

  it('names the stacks there are when a name matches none', () => {
    expect(() => names(['Nope'])).toThrow(
      'the cloud assembly has no stack Nope (it has: Shared, App, Dev/Service)',
    );
  });
});

describe('resolveFunctionCode', () => {
  const code = (hash: string) => ({ S3Bucket: 'cdk-assets', S3Key: `${hash}.zip` });

  it('finds a zip-packaged directory asset through the stack asset manifest', async () => {
    const directory = await resolveFunctionCode(code(CJS_HASH), FIXTURE);
    expect(directory).toBe(join(realpathSync(FIXTURE), `asset.${CJS_HASH}`));
    expect(checkHandlerModule(directory, 'index.handler')).toBe(true);
  });

  it("follows a nested assembly's ../asset path when it stays inside the root assembly", async () => {
    const nested = join(FIXTURE, 'assembly-Dev');
    const directory = await resolveFunctionCode(code(ESM_HASH), nested, FIXTURE);
    expect(directory).toBe(join(realpathSync(FIXTURE), `asset.${ESM_HASH}`));
    expect(checkHandlerModule(directory, 'index.handler')).toBe(true);
    // The nested directory alone is not the assembly: ../ leaves it.
    await expect(resolveFunctionCode(code(ESM_HASH), nested)).rejects.toThrow(AssemblyPathError);
  });

  it('refuses an asset manifest path that is absolute', async () => {
    const { assembly, outside } = copyOfFixture();
    editJson<AssetsManifest>(join(assembly, 'App.assets.json'), (manifest) => {
      manifest.files[CJS_HASH]!.source.path = outside;
    });
    await expect(resolveFunctionCode(code(CJS_HASH), assembly)).rejects.toThrow(
      /asset 1{64} \(App\.assets\.json\): '.*elsewhere' is an absolute path/,
    );
  });

  it('refuses an asset manifest path that climbs out with ..', async () => {
    const { assembly } = copyOfFixture();
    editJson<AssetsManifest>(join(assembly, 'App.assets.json'), (manifest) => {
      manifest.files[CJS_HASH]!.source.path = '../elsewhere';
    });
    await expect(resolveFunctionCode(code(CJS_HASH), assembly)).rejects.toThrow(/leaves the cloud assembly/);
  });

  it('refuses an asset directory that is a symbolic link out of the assembly', async () => {
    const { assembly, outside } = copyOfFixture();
    rmSync(join(assembly, `asset.${CJS_HASH}`), { recursive: true });
    symlinkSync(outside, join(assembly, `asset.${CJS_HASH}`));
    await expect(resolveFunctionCode(code(CJS_HASH), assembly)).rejects.toThrow(
      /is a symbolic link to .*elsewhere, outside the cloud assembly/,
    );
  });

  it('refuses an asset directory holding a symbolic link out of the assembly', async () => {
    const { assembly, outside } = copyOfFixture();
    symlinkSync(join(outside, 'index.js'), join(assembly, `asset.${CJS_HASH}`, 'helper.js'));
    await expect(resolveFunctionCode(code(CJS_HASH), assembly)).rejects.toThrow(
      /helper\.js is a symbolic link to .*outside the cloud assembly/,
    );
  });

  it('accepts symbolic links that stay inside the assembly', async () => {
    const { assembly } = copyOfFixture();
    symlinkSync(
      join(assembly, `asset.${ESM_HASH}`, 'index.mjs'),
      join(assembly, `asset.${CJS_HASH}`, 'esm.mjs'),
    );
    await expect(resolveFunctionCode(code(CJS_HASH), assembly)).resolves.toContain(`asset.${CJS_HASH}`);
  });

  it('names a missing asset', async () => {
    await expect(resolveFunctionCode(code('f'.repeat(64)), FIXTURE)).rejects.toThrow(/No asset f{64}/);
  });

  it('writes inline ZipFile code out as index.js', async () => {
    const directory = await resolveFunctionCode({ ZipFile: 'exports.handler = async () => 1;' }, FIXTURE);
    scratch.push(directory);
    expect(readFileSync(join(directory, 'index.js'), 'utf8')).toContain('exports.handler');
  });
});

describe('checkHandlerModule', () => {
  const directory = join(FIXTURE, `asset.${CJS_HASH}`);

  it('accepts a module in the code directory and reports a missing one', () => {
    expect(checkHandlerModule(directory, 'index.handler')).toBe(true);
    expect(checkHandlerModule(directory, 'missing.handler')).toBe(false);
  });

  it('refuses handlers whose module is outside the code directory', () => {
    expect(() => checkHandlerModule(directory, '../asset.2/index.handler')).toThrow(
      /leaves the function's code/,
    );
    expect(() => checkHandlerModule(directory, '/etc/passwd.handler')).toThrow(/must be a path inside/);
  });

  it('refuses a handler module that is a symbolic link out of the code directory', () => {
    const { assembly, outside } = copyOfFixture();
    const code = join(assembly, `asset.${CJS_HASH}`);
    symlinkSync(join(outside, 'index.js'), join(code, 'linked.js'));
    expect(() => checkHandlerModule(code, 'linked.handler')).toThrow(/symbolic link/);
  });
});
