// Compiles our AssemblyScript kernels (src/**/assembly/index.ts) to WebAssembly with the assemblyscript
// compiler from npm (a devDependency: no system tool). Each module is written beside its source
// (src/…/assembly/kernels.wasm, what the tests load through tsx) and into dist (what the built code loads).
// Run by `npm run build` and `prepare` before tsc; the .wasm files are build output, not committed.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = ['src/media/codecs/g729/assembly'];

for (const folder of modules) {
  const source = join(root, folder, 'index.ts');
  const output = join(root, folder, 'kernels.wasm');
  // No runtime (nothing allocates), the memory imported (each decoder owns one), SIMD on, no bounds
  // assertions (the callers pass addresses inside their own arrays).
  const { error, stderr } = await asc.main([
    source, '-O3', '--runtime', 'stub', '--noAssert', '--importMemory', '--enable', 'simd', '--outFile', output,
  ]);
  if (error) {
    process.stderr.write(`${relative(root, source)}: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
  const built = join(root, 'dist', folder, 'kernels.wasm');
  mkdirSync(dirname(built), { recursive: true });
  copyFileSync(output, built);
}
