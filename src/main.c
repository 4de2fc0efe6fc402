/* main.c -- the tierdb-server entry point; everything else is in the core
 * library so unit tests link the same objects. */
int server_main(int argc, char **argv);

int main(int argc, char **argv) { return server_main(argc, argv); }
