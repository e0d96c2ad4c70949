/** Signs `login` in to the portal at `base` as a browser does (the form's token, then the POST): its session cookie. */
export async function portalSignIn(base: string, login: string, password: string): Promise<string> {
  const pre = await fetch(`${base}/login`);
  const preCookie = pre.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await pre.text())![1]!;
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual', headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, login, password }),
  });
  if (res.status !== 303) throw new Error(`sign-in of ${login} answered ${res.status}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => c!.startsWith('ddcn_session=')).join('; ');
}
