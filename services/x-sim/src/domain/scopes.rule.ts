/** Scopes X accepts, with the line its consent page shows for each. */
export const SCOPE_LINES: Readonly<Record<string, string>> = {
  'tweet.read': 'See posts from your timeline (including protected posts) as well as your Lists and collections',
  'tweet.write': 'Create and delete posts for you',
  'users.read': 'See your X account details',
  'follows.read': 'See accounts you follow and accounts that follow you',
  'follows.write': 'Follow and unfollow accounts for you',
  'offline.access': 'Stay connected to your account until you revoke access',
  'like.read': 'See posts you liked and likes you can view',
  'like.write': 'Like and unlike posts for you',
  'list.read': 'See your Lists and the Lists you are a member of',
  'bookmark.read': 'See your bookmarks',
};

/** Splits a space separated scope string; undefined when empty or any scope is unknown. */
export function parseScopes(scope: string): string[] | undefined {
  const scopes = scope.split(' ').filter((s) => s.length > 0);
  if (scopes.length === 0 || scopes.some((s) => !Object.hasOwn(SCOPE_LINES, s))) return undefined;
  return [...new Set(scopes)];
}
