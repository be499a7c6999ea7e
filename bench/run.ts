// npm run bench [-- core]: prints each figure next to a baseline measured in the same run.
import { initNode } from '../src/platform/node.js';
import { benchCore } from './core.js';
import { benchConv } from './conv.js';
import { benchModel } from './model.js';
import { benchQuant } from './quant.js';
import { benchRobust } from './robust.js';
import { benchProfile } from './profile.js';
import { kernelVariant, subgroupKernels } from '../src/kernels/launch.js';
import { benchSeedModels } from './seed-models.js';
import { benchPeer } from './peer.js';

const suites: Record<string, () => Promise<void>> = {
  core: benchCore,
  conv: benchConv,
  model: () => benchModel('ResNet_18'),
  'seed-models': benchSeedModels,
  quant: benchQuant,
  robust: benchRobust,
  profile: () => benchProfile(process.env.PROFILE_MODEL ?? 'ResNet_18', 32, process.env.PROFILE_MODE),
  peer: benchPeer,
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const e = await initNode();
console.log(`adapter: ${e.adapterInfo}`);
const sg = subgroupKernels() ? `, loads shared across subgroups of ${e.subgroupSize}` : '';
console.log(`kernels: ${kernelVariant()} variants (${e.cpuAdapter ? 'software adapter' : 'GPU adapter'}${sg})`);
for (const [name, fn] of Object.entries(suites)) {
  // profile, the nine seed models and the PyTorch peer (tens of minutes each) only on request
  if (wanted.length ? !wanted.includes(name) : ['profile', 'seed-models', 'peer'].includes(name)) continue;
  console.log(`\n== ${name}`);
  await fn();
}
process.exit(0);
