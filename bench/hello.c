/* The floor for bench/run's start-up rows: a dynamically linked C program that prints one line. */
#include <stdio.h>

int main(void) {
    puts("hello");
    return 0;
}
