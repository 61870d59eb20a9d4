import { buildTestApp, type TestApp } from '../helpers/app';

describe('the router list of the composition root', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ env: { WECHAT_APPID: 'wx-app', WECHAT_SECRET: 'wx-secret' } });
  });
  afterAll(() => t.close());

  /** Every method + path of every router, with the index of the router registering it. */
  function registrations() {
    return t.deps.routers.flatMap((router, index) =>
      router.stack.flatMap((layer) =>
        layer.methods.map((method) => ({ route: `${method} ${layer.path}`, index })),
      ),
    );
  }

  it('registers each method and path in one router only, so the order of the routers does not matter', () => {
    const owners = new Map<string, Set<number>>();
    for (const { route, index } of registrations())
      owners.set(route, (owners.get(route) ?? new Set()).add(index));
    const shared = [...owners].filter(([, routers]) => routers.size > 1).map(([route]) => route);
    expect(owners.size).toBeGreaterThan(40);
    expect(shared).toEqual([]);
  });

  it('has GET /files/:id in exactly one router, once', () => {
    const filePage = registrations().filter(({ route }) => route === 'GET /files/:id');
    expect(filePage).toHaveLength(1);
  });
});
