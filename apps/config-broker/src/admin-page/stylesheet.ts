/** The admin page's only stylesheet, served by the broker at /admin/admin.css (no CDN, no inline styles). */
export const STYLESHEET = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fafafa; }
body { max-width: 72rem; margin: 0 auto; padding: 0 1rem 3rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; border-bottom: 1px solid #ccc; }
header nav a { margin-right: 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
form.inline { display: inline; }
fieldset { border: 1px solid #ccc; margin: .5rem 0; }
label { display: block; margin: .4rem 0 .1rem; font-weight: 600; }
label.check { display: inline; font-weight: normal; margin-right: 1rem; }
input[type=text], input[type=email], input[type=password], input[type=url], select, textarea { width: 100%; max-width: 40rem; padding: .3rem; font: inherit; }
textarea { font-family: ui-monospace, monospace; min-height: 8rem; }
button { font: inherit; padding: .3rem .8rem; margin: .3rem .3rem .3rem 0; cursor: pointer; }
.error { color: #a00000; font-weight: 600; }
.notice { color: #05620a; font-weight: 600; }
.warning { background: #fff4ce; border: 1px solid #d8b600; padding: .5rem; }
pre.secret { background: #fff; border: 1px solid #999; padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.muted { color: #666; }
`;
