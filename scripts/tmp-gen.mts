import { writeSynthetic } from './lib/synth.js';
const n = Number(process.argv[2]);
const r = await writeSynthetic(`/tmp/i10a-data/${n}`, { count: n, seed: 2207, matchRate: 0.9 });
console.log(r.participantsFile);
