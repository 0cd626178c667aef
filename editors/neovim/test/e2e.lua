-- End-to-end test: Neovim's built-in LSP client against `berth server`.
--
-- Run headless (works on Neovim 0.7 and later):
--   BERTH_BIN=target/debug/berth nvim --headless -u NONE -i NONE -n -c 'luafile editors/neovim/test/e2e.lua'
-- It starts the server with the config from editors/neovim/lsp/berth.lua (only the binary path
-- swapped for BERTH_BIN), opens the fixture Dockerfile and runs phases in order: diagnostics,
-- hover, code action, diagnostics after the fix. Each phase prints `PHASE <name>: ok|FAIL|SKIP`;
-- the last line is `RESULT: ok` or `RESULT: FAIL (<phases>)`, and Neovim exits 1 on failure.

local script_dir = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local editors_dir = vim.fn.fnamemodify(script_dir, ':h:h')
local repo_dir = vim.fn.fnamemodify(editors_dir, ':h')

local DEADLINE_MS = 15000
local FROM_LINE = 0
local ENV_LINE = 1
local RUN_LINE = 4

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

-- Neovim 0.11 turned client functions into methods (`client:request_sync`); 0.7 to 0.10 use fields.
local function client_call(client, name, ...)
  if vim.fn.has('nvim-0.11') == 1 then
    return client[name](client, ...)
  end
  return client[name](...)
end

local function server_capabilities(client)
  return client.server_capabilities or client.resolved_capabilities or {}
end

local function request(client, bufnr, method, params)
  local response, err = client_call(client, 'request_sync', method, params, DEADLINE_MS, bufnr)
  if response == nil then
    error(string.format('%s got no answer: %s', method, tostring(err)), 0)
  end
  if response.err ~= nil then
    error(string.format('%s failed: %s', method, vim.inspect(response.err)), 0)
  end
  return response.result
end

local function has_code(diagnostics, code)
  for _, diagnostic in ipairs(diagnostics) do
    if diagnostic.code == code then
      return true
    end
  end
  return false
end

local function find_code(diagnostics, code)
  for _, diagnostic in ipairs(diagnostics) do
    if diagnostic.code == code then
      return diagnostic
    end
  end
  return nil
end

local function describe(diagnostics)
  local parts = {}
  for _, diagnostic in ipairs(diagnostics) do
    table.insert(parts, string.format('%s@%d', tostring(diagnostic.code), diagnostic.lnum + 1))
  end
  if #parts == 0 then
    return 'none'
  end
  return table.concat(parts, ', ')
end

local function hover_text(contents)
  if type(contents) == 'string' then
    return contents
  end
  local is_list = vim.islist or vim.tbl_islist
  if is_list(contents) then
    local parts = {}
    for _, item in ipairs(contents) do
      table.insert(parts, hover_text(item))
    end
    return table.concat(parts, '\n')
  end
  return contents.value or ''
end

local function main()
  local binary = os.getenv('BERTH_BIN') or (repo_dir .. '/target/debug/berth')
  local workspace = os.getenv('BERTH_FIXTURE') or (editors_dir .. '/vscode/test/fixtures/workspace')
  local dockerfile = workspace .. '/Dockerfile'
  vim.opt.swapfile = false

  local config = dofile(editors_dir .. '/neovim/lsp/berth.lua')
  local failures = {}
  local state = {}

  local function phase(name, needs, body)
    for _, need in ipairs(needs) do
      if not state[need] then
        out(string.format('PHASE %s: SKIP (needs %s)', name, need))
        table.insert(failures, name)
        return
      end
    end
    local ok, err = pcall(body)
    if ok then
      state[name] = true
      out(string.format('PHASE %s: ok', name))
    else
      table.insert(failures, name)
      out(string.format('PHASE %s: FAIL %s', name, tostring(err)))
    end
  end

  local bufnr, client
  -- What the server pushed, as LSP diagnostics (with LSP ranges) for the code action request.
  local pushed = {}

  phase('start', {}, function()
    assert(config.cmd[1] == 'berth' and config.cmd[2] == 'server', 'lsp/berth.lua must run `berth server`')
    vim.cmd('edit ' .. vim.fn.fnameescape(dockerfile))
    bufnr = vim.api.nvim_get_current_buf()
    vim.bo[bufnr].filetype = 'dockerfile'
    local start_config = vim.tbl_extend('force', config, {
      name = 'berth',
      cmd = { binary, unpack(config.cmd, 2) },
      root_dir = workspace,
      on_exit = function(code, signal)
        state.exit = string.format('status %d, signal %d', code, signal)
      end,
      handlers = {
        ['textDocument/publishDiagnostics'] = function(err, result, ctx, handler_config)
          pushed[result.uri] = result.diagnostics
          return vim.lsp.handlers['textDocument/publishDiagnostics'](err, result, ctx, handler_config)
        end,
      },
    })
    local client_id
    if vim.lsp.start ~= nil then
      client_id = vim.lsp.start(start_config, { bufnr = bufnr })
    else
      client_id = vim.lsp.start_client(start_config)
      assert(client_id ~= nil, 'vim.lsp.start_client refused the config')
      vim.lsp.buf_attach_client(bufnr, client_id)
    end
    assert(client_id ~= nil, 'the client did not start')
    local ready = vim.wait(DEADLINE_MS, function()
      client = vim.lsp.get_client_by_id(client_id)
      return state.exit ~= nil or (client ~= nil and client.initialized == true)
    end, 50)
    assert(state.exit == nil, string.format('the server (%s) exited (%s) before finishing initialize', binary, tostring(state.exit)))
    assert(ready, string.format('the server (%s) did not finish initialize within %d ms; see :LspLog', binary, DEADLINE_MS))
  end)

  phase('diagnostics', { 'start' }, function()
    local seen = vim.wait(DEADLINE_MS, function()
      local current = vim.diagnostic.get(bufnr)
      return has_code(current, 'PY001') and has_code(current, 'UV001')
    end, 50)
    local current = vim.diagnostic.get(bufnr)
    assert(seen, 'expected PY001 and UV001, got: ' .. describe(current))
    local py001 = find_code(current, 'PY001')
    local uv001 = find_code(current, 'UV001')
    assert(py001.lnum == FROM_LINE, 'PY001 belongs on line 1, got line ' .. (py001.lnum + 1))
    assert(uv001.lnum == RUN_LINE, 'UV001 belongs on the RUN line, got line ' .. (uv001.lnum + 1))
    assert(py001.source == 'berth' and uv001.source == 'berth', 'diagnostics must have source "berth"')
  end)

  phase('hover', { 'start' }, function()
    assert(server_capabilities(client).hoverProvider, 'the server does not advertise hoverProvider')
    local line = vim.api.nvim_buf_get_lines(bufnr, ENV_LINE, ENV_LINE + 1, true)[1]
    local column = line:find('UV_LINK_MODE', 1, true)
    assert(column ~= nil, 'the fixture lost its ENV UV_LINK_MODE line')
    -- The ENV line is ASCII, so the byte column is the same in every position encoding.
    local result = request(client, bufnr, 'textDocument/hover', {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      position = { line = ENV_LINE, character = column + 2 },
    })
    assert(result ~= nil, 'no hover on UV_LINK_MODE')
    local text = hover_text(result.contents)
    assert(text:find('copy', 1, true), 'the hover on UV_LINK_MODE should mention copy; it says: ' .. text)
  end)

  phase('code_action', { 'diagnostics' }, function()
    assert(server_capabilities(client).codeActionProvider, 'the server does not advertise codeActionProvider')
    local uri = vim.uri_from_bufnr(bufnr)
    local uv001
    for _, diagnostic in ipairs(pushed[uri] or {}) do
      if diagnostic.code == 'UV001' then
        uv001 = diagnostic
      end
    end
    if uv001 == nil then
      -- Newer Neovim versions may have pulled the diagnostics; they keep the LSP form in user_data.
      local shown = find_code(vim.diagnostic.get(bufnr), 'UV001')
      uv001 = shown and shown.user_data and shown.user_data.lsp
      assert(uv001 ~= nil and uv001.range ~= nil, 'cannot find UV001 in LSP form for the request')
    end
    local actions = request(client, bufnr, 'textDocument/codeAction', {
      textDocument = { uri = uri },
      range = uv001.range,
      context = { diagnostics = { uv001 } },
    })
    assert(actions ~= nil and #actions > 0, 'no code actions for UV001')
    local action
    for _, candidate in ipairs(actions) do
      if action == nil and type(candidate.command) ~= 'string' and (candidate.title or ''):find('--locked', 1, true) then
        action = candidate
      end
    end
    action = action or actions[1]
    if type(action.command) == 'string' then
      request(client, bufnr, 'workspace/executeCommand', action)
    else
      if action.edit == nil and action.command == nil then
        local provider = server_capabilities(client).codeActionProvider
        assert(type(provider) == 'table' and provider.resolveProvider, 'the action has no edit and cannot be resolved')
        action = request(client, bufnr, 'codeAction/resolve', action)
      end
      if action.edit ~= nil then
        vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
      end
      if action.command ~= nil then
        -- The server answers with a workspace/applyEdit request, which Neovim applies itself.
        request(client, bufnr, 'workspace/executeCommand', action.command)
      end
    end
    local changed = vim.wait(5000, function()
      local line = vim.api.nvim_buf_get_lines(bufnr, RUN_LINE, RUN_LINE + 1, true)[1]
      return line:find('uv sync --locked', 1, true) ~= nil
    end, 50)
    local line = vim.api.nvim_buf_get_lines(bufnr, RUN_LINE, RUN_LINE + 1, true)[1]
    assert(changed, 'the fix should give "uv sync --locked"; the RUN line is now: ' .. line)
  end)

  phase('diagnostics_after_fix', { 'code_action' }, function()
    local cleared = vim.wait(DEADLINE_MS, function()
      local current = vim.diagnostic.get(bufnr)
      return not has_code(current, 'UV001') and has_code(current, 'PY001')
    end, 50)
    assert(cleared, 'after the fix UV001 should go and PY001 stay, got: ' .. describe(vim.diagnostic.get(bufnr)))
  end)

  phase('filetypes', {}, function()
    if vim.fn.has('nvim-0.8') == 0 then
      -- Neovim 0.7 only uses Lua filetype rules when g:do_filetype_lua is set; nothing to check there.
      return
    end
    dofile(editors_dir .. '/neovim/ftdetect/berth.lua')
    for _, name in ipairs({ 'Containerfile', 'Containerfile.dev', 'api.Dockerfile', 'Dockerfile.prod', 'Dockerfile-uv', 'web.containerfile' }) do
      local detected = vim.filetype.match({ filename = '/project/' .. name })
      assert(detected == 'dockerfile', name .. ' should be a dockerfile, got ' .. tostring(detected))
    end
  end)

  if client ~= nil then
    client_call(client, 'stop')
    vim.wait(2000, function()
      return client.is_stopped == nil or client_call(client, 'is_stopped')
    end, 50)
  end
  return failures
end

local ok, failures = xpcall(main, debug.traceback)
if not ok then
  out('RESULT: FAIL (the test script itself failed: ' .. tostring(failures) .. ')')
  vim.cmd('cquit 1')
elseif #failures > 0 then
  out('RESULT: FAIL (' .. table.concat(failures, ', ') .. ')')
  vim.cmd('cquit 1')
else
  out('RESULT: ok')
  vim.cmd('qall!')
end
