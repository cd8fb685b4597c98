-- imapfilter configuration
options.timeout = 120
options.subscribe = true

work = IMAP {
    server = 'outlook.office365.com',
    username = 'alice@contoso.example',
    password = 'Lua-Secret-5',
    ssl = 'tls1',
}

home = IMAP { server = "imap.example.net", username = "alice", ssl = 'auto', port = 993 }

results = work.INBOX:is_unseen()
results:move_messages(work['Archive'])
