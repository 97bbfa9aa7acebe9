; Inno Setup script: packs the PyInstaller one-dir build into fieldapp-setup-<version>.exe.
; Build dist\fieldapp first (pyinstaller build_installer.spec), then:
;   iscc /DAppVersion=0.1.0 packaging\fieldapp.iss
; See docs/windows-build.md.
;
; Installs per user (no administrator rights needed on a locked-down office PC) into
; %LOCALAPPDATA%\Programs\fieldapp. The data folder (%LOCALAPPDATA%\fieldapp) is NOT touched by
; install, update or uninstall: evaluations, photos and backups survive every version change.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
; Keep this AppId for every version, so an update replaces the old installation.
AppId={{5B7E3C1A-6F0D-4C8E-9A51-7D2F0C3B9E41}
AppName=fieldapp 放心消费单位评价
AppVersion={#AppVersion}
AppVerName=fieldapp {#AppVersion}
AppPublisher=fieldapp
DefaultDirName={localappdata}\Programs\fieldapp
DefaultGroupName=fieldapp
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputDir=..\dist
OutputBaseFilename=fieldapp-setup-{#AppVersion}
SetupIconFile=..\fieldapp\resources\icons\fieldapp.ico
UninstallDisplayIcon={app}\fieldapp.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile=..\LICENSE

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
; The whole one-dir build: fieldapp.exe (window), fieldapp-cli.exe (console) and _internal\.
Source: "..\dist\fieldapp\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An update must not leave modules of the previous version behind.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\fieldapp 放心消费单位评价"; Filename: "{app}\fieldapp.exe"
Name: "{group}\{cm:UninstallProgram,fieldapp}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\fieldapp 放心消费单位评价"; Filename: "{app}\fieldapp.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\fieldapp.exe"; Description: "{cm:LaunchProgram,fieldapp}"; Flags: nowait postinstall skipifsilent
