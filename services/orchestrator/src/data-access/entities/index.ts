import { InboxRow, OutboxRow } from '@xauth/shared';
import { JobRow } from './job.entity.js';
import { LoginRequestRow } from './login-request.entity.js';
import { ProfileRow } from './profile.entity.js';
import { TokenRow } from './token.entity.js';

export { JobRow, LoginRequestRow, ProfileRow, TokenRow };
export const entities = [ProfileRow, JobRow, LoginRequestRow, TokenRow, OutboxRow, InboxRow];
