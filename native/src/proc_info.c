#include "proc_info.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct stat_fields {
    char state;
    uint64_t start_time;
} stat_fields;

/*
 * Reads state (field 3) and starttime (field 22) of /proc/<pid>/stat. The command name
 * (field 2) may contain spaces and parentheses, so parsing starts after the last ')'.
 */
static int read_stat(pid_t pid, stat_fields *out) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ') return -1;
    p += 2;
    out->state = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL) return -1;
        p++;
    }
    out->start_time = strtoull(p, NULL, 10);
    return 0;
}

static uint64_t read_pid_ns(void) {
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

void tessera_proc_self(tessera_proc_identity *self) {
    stat_fields f;
    self->pid = getpid();
    self->start_time = read_stat(self->pid, &f) == 0 ? f.start_time : 0;
    self->pid_ns = read_pid_ns();
}

int tessera_proc_alive(pid_t pid, uint64_t start_time) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return 0;
    stat_fields f;
    if (read_stat(pid, &f) != 0) return 1; /* no /proc: trust kill() */
    if (f.state == 'Z' || f.state == 'X') return 0;
    if (start_time != 0 && f.start_time != start_time) return 0;
    return 1;
}
