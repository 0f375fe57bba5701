/*
 * screen.c — the only module that owns the terminal: curses init and teardown, colours, and the
 * fatal path that restores the terminal before the process dies.
 *
 * Teardown has three routes and all must leave a usable shell: the normal return (endwin), exit()
 * from anywhere (an atexit hook), and fatal signals. Terminating signals that are a request
 * (SIGINT, SIGTERM, SIGHUP) only set a flag that the main loop polls, so teardown runs in normal
 * context. Crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) cannot do that: their handler uses
 * only async-signal-safe calls — tcsetattr() to the termios saved before curses started and
 * write() of the terminfo strings (leave the alternate screen, show the cursor, reset
 * attributes) captured at init — then re-raises the signal with the default action so the
 * process still dies with the right status and a core.
 */
#define _GNU_SOURCE
#include "viewer/screen.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <term.h>

volatile sig_atomic_t screen_stop_signal;

static bool active, colour, tios_saved, atexit_done;
static SCREEN *scr;
static FILE *null_out, *null_in;
static struct termios saved_tios;
static char restore_seq[128]; /* rmcup + cnorm + sgr0, copied at init for the crash path */
static size_t restore_len;
static int role_attr[R_COUNT];

static void append_cap(const char *name)
{
    char *s = tigetstr((char *)name);
    if (!s || s == (char *)-1) return;
    size_t n = strlen(s);
    if (restore_len + n >= sizeof restore_seq) return;
    memcpy(restore_seq + restore_len, s, n);
    restore_len += n;
}

static void on_crash(int sig)
{
    if (active) {
        if (restore_len) {
            ssize_t r = write(STDOUT_FILENO, restore_seq, restore_len);
            (void)r;
        }
        if (tios_saved) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tios);
        static const char msg[] = "\npackrat: viewer crashed; terminal restored\n";
        ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)r;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_stop(int sig)
{
    screen_stop_signal = sig;
}

/*
 * Installs our handlers, or puts back the ones that were there before (the packrat front-end
 * runs the viewer in-process and has its own).
 */
static void install_signals(bool on)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGINT, SIGTERM, SIGHUP};
    static struct sigaction old[sizeof sigs / sizeof sigs[0]];
    static bool installed;
    if (on == installed) return;
    installed = on;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (!on) {
            sigaction(sigs[i], &old[i], NULL);
            continue;
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        bool crash = i < 5;
        sa.sa_handler = crash ? on_crash : on_stop;
        /* No SA_RESTART for the stop signals: getch() returns and the loop sees the flag. */
        sa.sa_flags = crash ? SA_RESETHAND : 0;
        sigaction(sigs[i], &sa, &old[i]);
    }
}

static void setup_roles(void)
{
    static const struct {
        short fg, bg;
        int extra, mono;
    } def[R_COUNT] = {
        [R_NORMAL] = {-1, -1, 0, A_NORMAL},
        [R_BAR] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
        [R_TAB_ACTIVE] = {COLOR_BLACK, COLOR_WHITE, A_BOLD, A_BOLD | A_UNDERLINE},
        [R_SELECTED] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
        [R_HEADER] = {-1, -1, A_BOLD | A_UNDERLINE, A_BOLD | A_UNDERLINE},
        [R_ERROR] = {COLOR_RED, -1, A_BOLD, A_BOLD},
        [R_WARN] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
        [R_GOOD] = {COLOR_GREEN, -1, 0, A_NORMAL},
        [R_DIM] = {-1, -1, A_DIM, A_DIM},
        /* Reverse video in colour too: whatever the palette, the selected bytes stand out. */
        [R_HIGHLIGHT] = {COLOR_YELLOW, -1, A_REVERSE | A_BOLD, A_REVERSE},
        [R_MALFORMED] = {COLOR_RED, -1, A_BOLD, A_BOLD},
        [R_P_TCP] = {COLOR_CYAN, -1, 0, A_NORMAL},
        [R_P_UDP] = {COLOR_BLUE, -1, A_BOLD, A_NORMAL},
        [R_P_DNS] = {COLOR_MAGENTA, -1, 0, A_NORMAL},
        [R_P_WEB] = {COLOR_GREEN, -1, 0, A_NORMAL},
        [R_P_ARP] = {COLOR_YELLOW, -1, 0, A_NORMAL},
        [R_P_ICMP] = {COLOR_YELLOW, -1, A_BOLD, A_NORMAL},
        [R_P_OTHER] = {-1, -1, 0, A_NORMAL},
    };
    for (int r = 0; r < R_COUNT; r++) {
        if (!colour) {
            role_attr[r] = def[r].mono;
            continue;
        }
        if (def[r].fg == -1 && def[r].bg == -1) {
            role_attr[r] = def[r].extra;
            continue;
        }
        init_pair((short)r, def[r].fg, def[r].bg);
        role_attr[r] = COLOR_PAIR(r) | def[r].extra;
    }
}

static void at_exit_restore(void)
{
    screen_end();
}

int screen_init(bool want_colour, bool headless, char *err, size_t errlen)
{
    if (active) return 0;
    if (headless) {
        null_out = fopen("/dev/null", "w");
        null_in = fopen("/dev/null", "r");
        if (!null_out || !null_in) {
            snprintf(err, errlen, "cannot open /dev/null");
            return -1;
        }
        const char *term = getenv("TERM");
        scr = newterm(term && *term ? term : "xterm-256color", null_out, null_in);
        if (!scr) scr = newterm("vt100", null_out, null_in);
        if (!scr) {
            snprintf(err, errlen, "cannot set up a headless terminal");
            return -1;
        }
        set_term(scr);
    } else {
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
            snprintf(err, errlen, "the viewer needs a terminal (stdin and stdout are not ttys)");
            return -1;
        }
        if (tcgetattr(STDIN_FILENO, &saved_tios) == 0) tios_saved = true;
        scr = newterm(NULL, stdout, stdin);
        if (!scr) {
            snprintf(err, errlen, "cannot initialise the terminal (TERM=%s)",
                     getenv("TERM") ? getenv("TERM") : "(unset)");
            return -1;
        }
        set_term(scr);
        restore_len = 0;
        append_cap("rmcup");
        append_cap("cnorm");
        append_cap("sgr0");
    }
    active = true;
    if (!atexit_done) {
        atexit(at_exit_restore);
        atexit_done = true;
    }
    if (!headless) install_signals(true);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25); /* Esc cancels a prompt; don't make it wait a second for a sequence */
    curs_set(0);
    colour = false;
    if (want_colour && has_colors() && start_color() == OK) {
        colour = true;
        use_default_colors();
    }
    setup_roles();
    return 0;
}

void screen_end(void)
{
    if (!active) return;
    active = false;
    curs_set(1);
    endwin();
    if (scr) {
        delscreen(scr);
        scr = NULL;
    }
    if (null_out) fclose(null_out);
    if (null_in) fclose(null_in);
    null_out = null_in = NULL;
    if (tios_saved) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tios);
    install_signals(false);
}

bool screen_has_colour(void)
{
    return colour;
}

int screen_attr(enum role r)
{
    return r < R_COUNT ? role_attr[r] : (int)A_NORMAL;
}

enum role screen_proto_role(const char *p)
{
    if (!p || !*p) return R_P_OTHER;
    if (!strcmp(p, "TCP")) return R_P_TCP;
    if (!strcmp(p, "UDP")) return R_P_UDP;
    if (!strcmp(p, "DNS") || !strcmp(p, "MDNS") || !strcmp(p, "DHCP")) return R_P_DNS;
    if (!strcmp(p, "HTTP") || !strcmp(p, "TLS")) return R_P_WEB;
    if (!strcmp(p, "ARP")) return R_P_ARP;
    if (!strncmp(p, "ICMP", 4)) return R_P_ICMP;
    return R_P_OTHER;
}
