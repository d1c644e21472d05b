import { randomUUID } from 'node:crypto';
import type { CreateLoginRequest, UserLoginRequested } from '@xauth/contracts';

export type PublishLogin = (payload: UserLoginRequested, correlationId: string) => Promise<unknown>;

/**
 * `POST /v1/logins`: turns the request into a `user.login.requested` command, naming the app
 * explicitly, and answers only once the broker has confirmed it.
 */
export async function requestLogin(
  input: { request: CreateLoginRequest; correlationId: string },
  deps: { publish: PublishLogin; defaultApp: string },
): Promise<{ requestId: string; status: 'accepted' }> {
  const payload: UserLoginRequested = { ...input.request, requestId: input.request.requestId ?? randomUUID(), app: input.request.app ?? deps.defaultApp };
  await deps.publish(payload, input.correlationId);
  return { requestId: payload.requestId, status: 'accepted' };
}
