// keel-exec test: C++ without libstdc++: classes, virtual calls,
// templates, new/delete, a global constructor and destructor, a
// function-local static; C headers for I/O.
#include <stdio.h>
#include <stdlib.h>

namespace
{
struct Shape {
    virtual ~Shape() {}
    virtual int area() const = 0;
};
struct Rect : Shape {
    int w, h;
    Rect(int w_, int h_) : w(w_), h(h_) {}
    int area() const override { return w * h; }
};
template <typename T> T twice(T v)
{
    return v + v;
}

struct Global {
    int value;
    Global() : value(41) {}
    ~Global() { printf("global destructor\n"); }
} global;

int counter()
{
    static int calls = 0;
    return ++calls;
}
} // namespace

int main()
{
    Shape *s = new Rect(3, 4);
    int *arr = new int[8];
    for (int i = 0; i < 8; i++)
        arr[i] = twice(i);
    printf("area %d twice %d global %d\n", s->area(), arr[7], global.value + 1);
    delete s;
    delete[] arr;
    counter();
    printf("counter %d\n", counter());
    return 0;
}
