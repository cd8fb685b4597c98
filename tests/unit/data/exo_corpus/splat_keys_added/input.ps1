$NewPsSessionParams = @{}
$NewPsSessionParams.ConfigurationName = 'Microsoft.Exchange'
$NewPsSessionParams.ConnectionURI = 'https://outlook.office365.com/powershell-liveid/'
$NewPsSessionParams['Authentication'] = 'Basic'
$NewPsSessionParams.Add('AllowRedirection', $true)
$NewPsSessionParams.Credential = $Credential
$ExoSession = New-PSSession @NewPsSessionParams -ErrorAction Stop
$null = Import-PSSession $ExoSession -AllowClobber -DisableNameChecking
