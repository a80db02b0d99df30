# Build the till on Windows: dist\loyalty-till\loyalty-till.exe (the till) and loyalty-till-cli.exe (IT's commands).
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1 [-Python .venv\Scripts\python.exe]
# Written for Windows but not run there yet: see packaging\README.md.
param(
    [string]$Python = ".venv\Scripts\python.exe",
    [string]$Dist = "dist",
    [string]$Work = "build\pyinstaller"
)
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)
if (Test-Path $Work) { Remove-Item -Recurse -Force $Work }
# A private cache instead of --clean, which empties the cache every build shares.
$env:PYINSTALLER_CONFIG_DIR = Join-Path $Work "cache"
& $Python -m PyInstaller --noconfirm --log-level WARN --distpath $Dist --workpath $Work packaging\loyalty_till.spec
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
$bundle = Join-Path $Dist "loyalty-till"
$bytes = (Get-ChildItem -Recurse -File $bundle | Measure-Object -Property Length -Sum).Sum
Write-Host ("built {0} ({1:N0} MB)" -f $bundle, ($bytes / 1MB))
