-- Containerfiles and named Dockerfiles are Dockerfiles. Recent Neovim versions know most of these
-- names already; adding them again is harmless and helps older versions.
vim.filetype.add({
  filename = {
    Containerfile = 'dockerfile',
  },
  pattern = {
    ['.*%.[Dd]ockerfile'] = 'dockerfile',
    ['Containerfile%..*'] = 'dockerfile',
    ['Dockerfile%..*'] = 'dockerfile',
    ['Dockerfile[%-_].+'] = 'dockerfile',
    ['.*%.containerfile'] = 'dockerfile',
  },
})
