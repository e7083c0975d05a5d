package discovery

import "syscall"

const sysFstatat = syscall.SYS_FSTATAT
