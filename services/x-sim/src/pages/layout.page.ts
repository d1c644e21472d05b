const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A page in X's dress: the selectors the browser worker relies on live in the bodies, not here. */
export function xPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html dir="ltr" lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{margin:0;font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#000;color:#e7e9ea}
main{max-width:600px;margin:48px auto;padding:0 24px}
button{border-radius:9999px;padding:10px 24px;font-weight:700;border:1px solid #536471;cursor:pointer}
button[value=allow],[data-testid=LoginForm_Login_Button]{background:#eff3f4;color:#0f1419}
button[value=deny]{background:transparent;color:#eff3f4}
</style>
</head>
<body>
<div id="react-root">${body}</div>
</body>
</html>`;
}
