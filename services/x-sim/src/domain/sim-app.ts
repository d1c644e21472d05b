/** An X app registered with the simulator. Confidential when `clientSecret` is set. */
export interface SimApp {
  name: string;
  clientId: string;
  clientSecret?: string;
  redirectUris: string[];
}
