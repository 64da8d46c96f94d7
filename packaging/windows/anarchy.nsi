; The Anarchy client for Windows: installs the Vulkan driver (anarchy_vulkan.dll with its manifest) and
; anarchy.exe, and registers the driver the way GPU drivers are found: a value under
; HKLM\SOFTWARE\Khronos\Vulkan\Drivers naming the manifest (the WOW6432Node key for the 32-bit driver).
;
; Built by CMake (target anarchy_installer) with Debian's makensis:
;   makensis -DBUILD_DIR=... [-DBUILD32_DIR=...] -DVERSION=... -DOUT_FILE=... anarchy.nsi
; Silent install: anarchy-setup.exe /S [/SERVER=HOST:PORT] [/D=C:\path]; silent uninstall: uninstall.exe /S.
Unicode true
Target amd64-unicode  ; a 64-bit installer: Windows on the handheld is 64-bit, and it writes both registry views
RequestExecutionLevel admin
SetCompressor /SOLID lzma

!include "FileFunc.nsh"

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!define DRIVERS_KEY "SOFTWARE\Khronos\Vulkan\Drivers"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Anarchy"

Name "Anarchy ${VERSION}"
OutFile "${OUT_FILE}"
InstallDir "$PROGRAMFILES64\Anarchy"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Anarchy"
  SetOutPath "$INSTDIR"
  File "${BUILD_DIR}\anarchy_vulkan.dll"
  File "${BUILD_DIR}\anarchy_icd.json"
  File "${BUILD_DIR}\anarchy.exe"
  SetRegView 64
  WriteRegDWORD HKLM "${DRIVERS_KEY}" "$INSTDIR\anarchy_icd.json" 0
!ifdef BUILD32_DIR
  ; The 32-bit driver, for 32-bit programs: its own folder and the 32-bit registry view.
  SetOutPath "$INSTDIR\x86"
  File "${BUILD32_DIR}\anarchy_vulkan.dll"
  File "${BUILD32_DIR}\anarchy_icd.json"
  SetRegView 32
  WriteRegDWORD HKLM "${DRIVERS_KEY}" "$INSTDIR\x86\anarchy_icd.json" 0
  SetRegView 64
!endif
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "Anarchy (remote GPU Vulkan driver)"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1

  ; /SERVER=HOST:PORT records the server now (as `anarchy connect --no-check` would).
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/SERVER=" $1
  IfErrors no_server
    nsExec::ExecToLog '"$INSTDIR\anarchy.exe" connect --no-check "$1"'
    Pop $2
    StrCmp $2 "0" no_server
      DetailPrint "anarchy connect $1 failed ($2)"
      SetErrorLevel 2
  no_server:
SectionEnd

Section "Uninstall"
  SetRegView 64
  DeleteRegValue HKLM "${DRIVERS_KEY}" "$INSTDIR\anarchy_icd.json"
  DeleteRegKey /ifempty HKLM "${DRIVERS_KEY}"
  SetRegView 32
  DeleteRegValue HKLM "${DRIVERS_KEY}" "$INSTDIR\x86\anarchy_icd.json"
  DeleteRegKey /ifempty HKLM "${DRIVERS_KEY}"
  SetRegView 64
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  Delete "$INSTDIR\x86\anarchy_vulkan.dll"
  Delete "$INSTDIR\x86\anarchy_icd.json"
  RMDir "$INSTDIR\x86"
  Delete "$INSTDIR\anarchy_vulkan.dll"
  Delete "$INSTDIR\anarchy_icd.json"
  Delete "$INSTDIR\anarchy.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  ; The server setting (%ProgramData%\Anarchy) is the user's: kept, as uninstallers keep configuration.
SectionEnd
