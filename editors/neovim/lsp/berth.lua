-- berth for Neovim 0.11+: put this folder on 'runtimepath' (or copy this file to
-- ~/.config/nvim/lsp/berth.lua), then call vim.lsp.enable('berth').
--
-- Settings reach the server twice, in the same shape as from VS Code: as initializationOptions
-- ({ berth = { ... } }, set in before_init below) and as the answer to workspace/configuration
-- for the section "berth", which Neovim reads from `settings`.

---@type vim.lsp.Config
return {
  cmd = { 'berth', 'server' },
  filetypes = { 'dockerfile' },
  root_markers = { 'pyproject.toml', 'uv.lock', '.git' },
  settings = {
    berth = {
      -- Rule codes or prefixes replacing the default set; empty keeps the defaults.
      select = {},
      -- Rule codes or prefixes to turn off.
      ignore = {},
      -- Rule codes or prefixes to add to the selected set.
      extendSelect = {},
      -- Severity per code or prefix: "error", "warning", "info", "hint" or "off".
      severity = vim.empty_dict(),
      -- Lowest severity that counts as a failure.
      failureThreshold = 'warning',
      -- Digest pinning asks registries only when this is true.
      network = { enabled = false },
      -- Registry hosts accepted without a warning.
      trustedRegistries = {},
    },
  },
  before_init = function(params, config)
    params.initializationOptions = { berth = config.settings.berth }
  end,
}
