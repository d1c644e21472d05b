import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1763800000100 implements MigrationInterface {
  name = 'Initial1763800000100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE profiles (
      profile_id text PRIMARY KEY,
      account_key text NOT NULL,
      account_id text NOT NULL,
      provider text NOT NULL,
      synced_at timestamptz NOT NULL)`);
    await q.query('CREATE INDEX profiles_account_idx ON profiles (account_key)');
    await q.query(`CREATE TABLE authorization_jobs (
      job_id uuid PRIMARY KEY,
      account_id text NOT NULL,
      account_key text NOT NULL,
      app text NOT NULL,
      profile_id text NOT NULL,
      scopes text NOT NULL,
      status text NOT NULL,
      attempt int NOT NULL,
      redirect_uri text NOT NULL,
      state_enc text NOT NULL,
      verifier_enc text NOT NULL,
      deadline timestamptz NOT NULL,
      pending_tokens_enc text,
      error_code text,
      error_message text,
      worker_id text,
      artifacts jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
    // At most one active job per account and app: concurrent requests coalesce onto it.
    await q.query(`CREATE UNIQUE INDEX jobs_one_active_idx ON authorization_jobs (account_key, app)
      WHERE status IN ('queued', 'dispatched', 'running', 'consent_captured')`);
    await q.query(`CREATE INDEX jobs_deadline_idx ON authorization_jobs (deadline)
      WHERE status IN ('queued', 'dispatched', 'running', 'consent_captured')`);
    await q.query(`CREATE TABLE login_requests (
      request_id uuid PRIMARY KEY,
      account_id text NOT NULL,
      app text NOT NULL,
      job_id uuid,
      outcome text NOT NULL,
      reply_to text,
      correlation_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query('CREATE INDEX login_requests_job_idx ON login_requests (job_id)');
    await q.query(`CREATE TABLE tokens (
      account_key text NOT NULL,
      app text NOT NULL,
      account_id text NOT NULL,
      x_user_id text NOT NULL,
      access_token_enc text NOT NULL,
      refresh_token_enc text,
      scopes text NOT NULL,
      expires_at timestamptz NOT NULL,
      status text NOT NULL,
      version int NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_key, app))`);
    await q.query(`CREATE INDEX tokens_expiry_idx ON tokens (expires_at) WHERE status = 'active'`);
  }
  async down(q: QueryRunner): Promise<void> {
    for (const t of ['tokens', 'login_requests', 'authorization_jobs', 'profiles']) await q.query(`DROP TABLE ${t}`);
  }
}
