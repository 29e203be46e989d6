"""Built-in checks: one package per layer, one module per area. Importing this package registers them all.

Checks read evidence through `fourlayer.resources` (typed views of what the collectors brought back) and the
helpers in `checks.util` / `checks.refs`; a check module never imports another check module.
"""

from fourlayer.checks import layer1, layer2, layer3, layer4  # noqa: F401  (import = registration)
