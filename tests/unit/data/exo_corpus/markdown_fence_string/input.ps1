$help = @"
Old way:
  Connect-ExchangeOnline -UseRPSSession
"@
Write-Output $help
