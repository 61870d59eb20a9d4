import { BadGateway, BadRequest, GatewayTimeout, Unauthorized } from '../../errors';
import type { Logger } from '../../logger';

/** What jscode2session answers on success (session_key is a secret and is never logged or returned). */
interface Code2SessionReply {
  openid?: unknown;
  session_key?: unknown;
  unionid?: unknown;
  errcode?: unknown;
  errmsg?: unknown;
}

// The users.wechat_openid column; WeChat's openids are 28 characters.
const MAX_OPENID = 128;

export interface WechatSettings {
  appId: string;
  secret: string;
  apiBase: string;
  timeoutMs: number;
}

/** Exchanges a mini-program login code for the user's openid (WeChat's jscode2session). */
export function createWechatClient(settings: WechatSettings, logger: Logger) {
  return {
    async code2Session(code: string): Promise<{ openid: string }> {
      if (!code) throw new BadRequest('code is required.', { details: { code: 'Required.' } });
      const url = new URL(`${settings.apiBase}/sns/jscode2session`);
      url.search = new URLSearchParams({
        appid: settings.appId,
        secret: settings.secret,
        js_code: code,
        grant_type: 'authorization_code',
      }).toString();
      let response: Response;
      try {
        // A redirect would carry the secret in the query string to wherever it points: refuse it.
        response = await fetch(url, {
          redirect: 'error',
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
      } catch (err) {
        const name = (err as Error).name;
        // The URL holds the secret: log only what failed, never the request.
        logger.warn(
          { err: { name, message: (err as Error).message } },
          'wechat jscode2session failed',
        );
        if (name === 'TimeoutError' || name === 'AbortError')
          throw new GatewayTimeout('WeChat did not answer in time.');
        throw new BadGateway('WeChat could not be reached.');
      }
      let reply: Code2SessionReply;
      try {
        reply = (await response.json()) as Code2SessionReply;
      } catch (err) {
        // The timeout covers the body too: a reply that stalls halfway is a timeout, not garbage.
        if ((err as Error).name === 'TimeoutError')
          throw new GatewayTimeout('WeChat did not answer in time.');
        logger.warn(
          { status: response.status },
          'wechat jscode2session answered something that is not JSON',
        );
        throw new BadGateway('WeChat sent an unreadable answer.');
      }
      if (!reply || typeof reply !== 'object') {
        logger.warn({ status: response.status }, 'wechat jscode2session answered a non-object');
        throw new BadGateway('WeChat sent an unexpected answer.');
      }
      if (reply.errcode && reply.errcode !== 0) {
        const why = reply.errmsg ?? reply.errcode;
        const text = typeof why === 'string' ? why : JSON.stringify(why);
        throw new Unauthorized(`WeChat refused the login code: ${text.slice(0, 200)}`);
      }
      const openid = reply.openid;
      if (!response.ok || typeof openid !== 'string' || !openid || openid.length > MAX_OPENID) {
        logger.warn(
          { status: response.status },
          'wechat jscode2session answered without an openid',
        );
        throw new BadGateway('WeChat sent an unexpected answer.');
      }
      return { openid };
    },
  };
}

export type WechatClient = ReturnType<typeof createWechatClient>;
