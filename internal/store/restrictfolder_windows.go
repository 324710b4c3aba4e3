//go:build windows

package store

import "golang.org/x/sys/windows"

// folderDACL gives the data folder, and what it will hold (the data
// file, its admin socket, backups and copies), to SYSTEM, Administrators
// and the folder's owner (the service's account) only: full control,
// inherited by files and subfolders, nothing inherited from the parent
// (ProgramData lets every user read).
const folderDACL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)"

// restrictFolder replaces the access list of dir, a folder just created:
// on Windows the 0700 mode given to os.MkdirAll means nothing.
func restrictFolder(dir string) error {
	sd, err := windows.SecurityDescriptorFromString(folderDACL)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
