// The 20 users of scripts/bench-portal.ts, in a thread of their own: their requests, and reading the answers,
// must not run on the event loop of the server they time (a browser is not in the server's process).
// Plain JavaScript: a new thread has no TypeScript loader. Gets everything in workerData; posts the timings back.
import { parentPort, workerData } from 'node:worker_threads';

const { base, sessions, unitsOf, districtUnits, numbers, rounds, totalUnits, big } = workerData;
const timings = {};

const timed = async (route, fn, expect = 200) => {
  const t0 = process.hrtime.bigint();
  const res = await fn();
  await res.arrayBuffer();
  if (res.status !== expect) throw new Error(`${route} answered ${res.status}`);
  (timings[route] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e6);
};
const get = (s, url) => () => fetch(`${base}${url}`, { headers: { cookie: s.cookie } });
const post = (s, url, form) => () =>
  fetch(`${base}${url}`, {
    method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: s.token, ...form }),
  });

const t0 = process.hrtime.bigint();
await Promise.all(
  sessions.map(async (s, i) => {
    for (let r = 0; r < rounds; r++) {
      const pick = (xs) => xs[(i * 31 + r * 7) % xs.length];
      const listPage = (count) => 1 + ((i + r) % Math.max(1, Math.ceil(count / 50)));
      const role = s.scope.role;
      const page = (kind) => `${kind} [${role}]`;
      await timed(page('GET / (dashboard)'), get(s, '/'));
      if (role === 'national') {
        await timed(page('GET /units (unit list)'), get(s, `/units?page=${listPage(totalUnits)}`));
        await timed(page('GET /units/:u (unit page)'), get(s, `/units/${pick(unitsOf).ma_don_vi}`));
        await timed(page('GET /report/mau03.xlsx'), get(s, '/report/mau03.xlsx'));
      }
      if (role === 'province' || role === 'district') {
        const units = role === 'province' ? unitsOf : districtUnits;
        await timed(page('GET /units (unit list)'), get(s, `/units?page=${listPage(units.length)}`));
        await timed(page('GET /units?q= (search)'), get(s, `/units?q=${encodeURIComponent(pick(units).ma_don_vi.slice(0, 7))}`));
        await timed(page('GET /units/:u (unit page)'), get(s, `/units/${pick(units).ma_don_vi}`));
        await timed(page('POST /lookup'), post(s, '/lookup', { number: pick(numbers) }));
      }
      if (role === 'unit') {
        await timed(page('GET /units/:u (unit page, 500-person unit)'), get(s, `/units/${big}`));
        await timed(page('GET /units/:u/mau02.xlsx (500 people)'), get(s, `/units/${big}/mau02.xlsx`));
      }
    }
  }),
);
parentPort.postMessage({ timings, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 });
