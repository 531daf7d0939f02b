#!/usr/bin/env bash
# Re-vendors the pages' one browser-side library, GOV.UK Frontend, from npm:
# its JavaScript as published, and its stylesheet compiled with Sass to use
# the system's Arial instead of the GDS Transport typeface (reserved for
# gov.uk) and to leave out its @font-face rules. The output under site/vendor/ is
# committed, so nothing is built or fetched to serve the pages; run this only
# to change the version pinned here.
set -euo pipefail
GOVUK_FRONTEND_VERSION=6.6.0
SASS_VERSION=1.108.2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "govuk-frontend@$GOVUK_FRONTEND_VERSION" "sass@$SASS_VERSION" >/dev/null
cat >hirs.scss <<'SCSS'
@use "govuk-frontend/dist/govuk" with (
  $govuk-font-family: (arial, sans-serif),
  $govuk-assets-path: "/assets/"
);
SCSS
out="$here/site/vendor/govuk-frontend"
mkdir -p "$out"
npx sass --no-source-map --style=compressed --load-path=node_modules hirs.scss "$out/govuk-frontend.min.css"
# The source map named at its end is not vendored.
sed 's|//# sourceMappingURL=.*$||' node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js \
  >"$out/govuk-frontend.min.js"
{
  echo "GOV.UK Frontend $GOVUK_FRONTEND_VERSION (npm govuk-frontend), compiled by clients/web/vendor.sh."
  echo
  sed -n '/^## Licence/,/^## /p' node_modules/govuk-frontend/README.md | sed '$d'
  echo
  cat <<'MIT'
The MIT License (MIT)

Copyright (c) 2018 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
MIT
} >"$out/LICENSE"
echo "vendored GOV.UK Frontend $GOVUK_FRONTEND_VERSION into $out"
