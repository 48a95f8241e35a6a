#!/usr/bin/env perl
# Turns the pages swift-argument-parser's generate-manual --multi-page writes
# into smimekit's: called by scripts/gen-docs, never by hand.
#
#   perl scripts/man-sections.pl DUMP.json IN_DIR OUT_DIR
#
# DUMP.json is `smimekit --experimental-dump-help`. For each IN_DIR/smimekit*.1:
# - smimekit.verify.1 becomes smimekit-verify.1 (man smimekit-verify), the
#   generated `help` page is dropped;
# - paragraphs of a command's discussion headed "Examples:", "Exit status...:",
#   "Environment:" and "Files:" (as --help shows them) become the EXAMPLES,
#   EXIT STATUS, ENVIRONMENT and FILES sections; ENVIRONMENT and FILES come from
#   the top command's discussion and go on every page;
# - an option's default (from DUMP.json) is added to its description unless the
#   description already says it;
# - empty lines become .Pp, so groff and mandoc render the pages without warnings.
use strict;
use warnings;
use JSON::PP;

my ($dump_file, $in_dir, $out_dir) = @ARGV;
die "usage: man-sections.pl DUMP.json IN_DIR OUT_DIR\n" unless defined $out_dir;

open my $fh, '<', $dump_file or die "$dump_file: $!\n";
my $tool = decode_json(do { local $/; <$fh> });
close $fh;
my $root = $tool->{command};
my %commands = map { $_->{commandName} => $_ } @{ $root->{subcommands} || [] };

# "Heading:" paragraphs of a discussion, and the rest.
sub split_discussion {
    my ($text) = @_;
    my (%sections, @rest);
    for my $para (split /\n\s*\n/, $text) {
        if ($para =~ /\A(Examples|Exit status|Environment|Files)\b([^\n]*):\n(.*)\z/s) {
            $sections{$1} = { note => $2, body => $3 };
        } else {
            push @rest, $para;
        }
    }
    return (\%sections, \@rest);
}

sub escape {    # text that mdoc must not read as a request or an escape
    my ($s) = @_;
    $s =~ s/\\/\\e/g;
    $s =~ s/^([.'])/\\&$1/;
    return $s;
}

# "  NAME  text" lines (continued by deeper-indented lines) as a tagged list.
sub tagged_list {
    my ($body, $macro) = @_;
    my @out = ('.Bl -tag -width Ds');
    for my $line (split /\n/, $body) {
        if ($line =~ /^ {1,3}(\S+)\s{2,}(.*)$/) {
            push @out, ".It " . ($macro ? "$macro " : "") . escape($1), escape($2);
        } elsif ($line =~ /\S/) {
            (my $t = $line) =~ s/^\s+//;
            push @out, escape($t);
        }
    }
    push @out, '.El';
    return @out;
}

sub section {
    my ($title, $s, $macro) = @_;
    return () unless $s;
    my @out = (qq{.Sh "$title"});
    (my $note = $s->{note}) =~ s/^\s*\(?|\)?\s*$//g;
    push @out, escape(ucfirst($note) . '.') if length $note;
    return (@out, tagged_list($s->{body}, $macro));
}

my ($root_sections) = split_discussion($root->{discussion} // '');

opendir my $dh, $in_dir or die "$in_dir: $!\n";
for my $file (sort grep { /^smimekit.*\.1$/ } readdir $dh) {
    my ($sub) = $file =~ /^smimekit\.(.+)\.1$/;
    next if defined $sub && $sub eq 'help';
    # Nested subcommands (trust.list) are looked up level by level.
    my $command = $root;
    if (defined $sub) {
        for my $name (split /\./, $sub) {
            my %children = map { $_->{commandName} => $_ } @{ $command->{subcommands} || [] };
            $command = $children{$name};
            last unless $command;
        }
    }
    die "$file: no command '$sub' in the dump\n" unless $command;

    open my $in, '<', "$in_dir/$file" or die "$in_dir/$file: $!\n";
    my $page = do { local $/; <$in> };
    close $in;
    $page .= "\n" unless $page =~ /\n\z/;

    # Names: smimekit.verify -> smimekit-verify, and no page for `help`.
    $page =~ s/^(\.Dt )(SMIMEKIT\.\S+)/$1 . ($2 =~ tr{.}{-}r)/me;
    $page =~ s/^\.Xr smimekit\.help 1 ,?\n//m;
    $page =~ s/^(\.Xr )(smimekit\.\S+)/$1 . ($2 =~ tr{.}{-}r)/mge;
    $page =~ s/ ,\n(?=\.Sh|\z)/\n/;   # the list lost its last member

    # The discussion: from .Sh DESCRIPTION to the option list (or the next section).
    my ($sections, $rest) = ({}, []);
    if ($page =~ /^\.Sh DESCRIPTION\n(.*?)(?=^\.Bl |^\.Sh )/ms) {
        my $discussion = $1;
        ($sections, $rest) = split_discussion($discussion);
        my $kept = join("\n.Pp\n", grep { /\S/ } @$rest);
        $kept .= "\n" if length $kept;
        $page =~ s/^(\.Sh DESCRIPTION\n).*?(?=^\.Bl |^\.Sh )/$1$kept/ms;
    }

    # Defaults the descriptions do not state.
    for my $arg (@{ $command->{arguments} || [] }) {
        next unless ($arg->{kind} // '') eq 'option' && defined $arg->{defaultValue} && length $arg->{defaultValue};
        my $name = $arg->{preferredName}{name} // next;
        $page =~ s{^(\.It Fl (?:\S+ , )?-\Q$name\E Ar [^\n]*\n)([^.\n][^\n]*)$}{
            my ($item, $text) = ($1, $2);
            $text =~ /default/i ? "$item$text" : "$item$text (default: " . escape($arg->{defaultValue}) . ")"
        }me;
    }

    my @tail = (
        section('ENVIRONMENT', $root_sections->{Environment}, 'Ev'),
        section('FILES', $root_sections->{Files}, 'Pa'),
        section('EXIT STATUS', $sections->{'Exit status'}, ''),
    );
    if (my $ex = $sections->{Examples}) {
        push @tail, '.Sh EXAMPLES', '.Bd -literal -offset indent';
        for my $line (split /\n/, $ex->{body}) {
            (my $t = $line) =~ s/^  //;
            push @tail, escape($t);
        }
        push @tail, '.Ed';
    }
    push @tail, '.Sh "SEE ALSO"', '.Xr smimekit 1' if defined $sub;
    my $tail = join("\n", @tail) . "\n";
    $page =~ s/^\.Sh "EXIT STATUS"\n\.Ex -std\n/$tail/m
        or die "$file: no EXIT STATUS section to replace\n";

    $page =~ s/^$/.Pp/mg;
    my $out_name = defined $sub ? "smimekit-" . ($sub =~ tr{.}{-}r) . ".1" : 'smimekit.1';
    open my $out, '>', "$out_dir/$out_name" or die "$out_dir/$out_name: $!\n";
    print $out $page;
    close $out;
}
closedir $dh;
